//! The `kiln` binary as a child process: `kiln up` serving on a free port,
//! and one-shot commands.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `kiln up`.
pub struct Kiln {
    child: Child,
    /// The address it serves on.
    pub addr: SocketAddr,
    /// Everything it printed on stdout so far (routes, guest output).
    pub stdout: Arc<Mutex<String>>,
    /// Everything it printed on stderr so far.
    pub stderr: Arc<Mutex<String>>,
}

/// The `kiln` binary under test.
pub fn kiln_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kiln")
}

impl Kiln {
    /// Starts `kiln up -f <from> --listen 127.0.0.1:0 <extra>` and waits for
    /// its `Serving http://…` line.
    pub fn up(from: &Path, extra: &[&str]) -> Kiln {
        match Self::try_up(from, extra) {
            Ok(kiln) => kiln,
            Err(err) => panic!("kiln up failed to start: {err}"),
        }
    }

    /// Like [`Self::up`] but returns kiln's stderr when it exits instead of serving.
    pub fn try_up(from: &Path, extra: &[&str]) -> Result<Kiln, String> {
        Self::try_up_in(Command::new(kiln_bin()), from, extra)
    }

    /// Like [`Self::try_up`], with `command` as the program (a wrapper such
    /// as `bash -c '…; exec "$0" "$@"' kiln` may stand in front of kiln).
    pub fn try_up_in(mut command: Command, from: &Path, extra: &[&str]) -> Result<Kiln, String> {
        command.args(["up", "-f"]).arg(from).args(["--listen", "127.0.0.1:0"]).args(extra);
        let mut child = spawn_piped(command.env("KILN_LOG", "info").stdin(Stdio::null()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let out_pipe = child.stdout.take().expect("stdout");
        let out_buf = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Serving http://") {
                    let _ = tx.send(addr.trim().to_string());
                }
                let mut buf = out_buf.lock().unwrap();
                buf.push_str(&line);
                buf.push('\n');
            }
        });
        collect_lines(child.stderr.take().expect("stderr"), stderr.clone());
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(50)) {
                let addr = match addr.parse() {
                    Ok(addr) => addr,
                    Err(e) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(format!("bad address {addr}: {e}"));
                    }
                };
                return Ok(Kiln {
                    child,
                    addr,
                    stdout,
                    stderr,
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Let the reader threads drain.
                std::thread::sleep(Duration::from_millis(100));
                let err = stderr.lock().unwrap().clone();
                return Err(format!("exited with {status}: {err}"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("did not start serving within 300s".into());
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit status.
    pub fn interrupt(self) -> std::process::ExitStatus {
        self.signal("-INT")
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(self) -> std::process::ExitStatus {
        self.signal("-TERM")
    }

    /// Sends `signal` (as `kill` spells it) and waits (up to 30 s) for the exit status.
    fn signal(mut self, signal: &str) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args([signal, &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "kiln did not exit after {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `text` shows up in stdout or stderr (guest log echo is
    /// asynchronous), returning whether it did.
    pub fn wait_for_output(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.stdout.lock().unwrap().contains(text)
                || self.stderr.lock().unwrap().contains(text)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Kiln {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `kiln up` expecting it to fail at startup; returns its stderr.
pub fn up_fails(from: &Path) -> String {
    match Kiln::try_up(from, &[]) {
        Ok(kiln) => panic!("kiln up unexpectedly served on {}", kiln.addr),
        Err(stderr) => stderr,
    }
}

/// Runs `kiln <args>` to completion, stdin closed.
pub fn kiln(args: &[&str]) -> std::process::Output {
    Command::new(kiln_bin()).args(args).stdin(Stdio::null()).output().expect("run kiln")
}


/// `kiln <args>` with `KILN_LOG=info` and stdin closed; the caller picks
/// the output pipes.
pub fn kiln_command(args: &[&str]) -> Command {
    let mut command = Command::new(kiln_bin());
    command.args(args).env("KILN_LOG", "info").stdin(Stdio::null());
    command
}

/// Spawns `command` with its stdout and stderr piped to the test.
pub fn spawn_piped(command: &mut Command) -> Child {
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn kiln")
}

/// A child process killed (and reaped) if the test ends early.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Appends every line `pipe` prints to `buf`, on a thread of its own, so
/// a test can poll what a child said so far.
pub fn collect_lines(pipe: impl Read + Send + 'static, buf: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut buf = buf.lock().unwrap();
            buf.push_str(&line);
            buf.push('\n');
        }
    });
}

/// A `kiln up` serving an app folder it owns, so the folder lives exactly
/// as long as the server; it derefs to the [`Kiln`].
pub struct Served {
    /// The server (declared first: it stops before the folder goes).
    pub kiln: Kiln,
    /// The app folder.
    pub dir: tempfile::TempDir,
}

impl std::ops::Deref for Served {
    type Target = Kiln;

    fn deref(&self) -> &Kiln {
        &self.kiln
    }
}

impl Served {
    /// [`Kiln::interrupt`], the folder removed after.
    pub fn interrupt(self) -> std::process::ExitStatus {
        self.kiln.interrupt()
    }

    /// [`Kiln::terminate`], the folder removed after.
    pub fn terminate(self) -> std::process::ExitStatus {
        self.kiln.terminate()
    }
}

/// Starts `kiln up` with no extra flags on the app folder `dir`.
pub fn serve(dir: tempfile::TempDir) -> Served {
    let kiln = Kiln::up(dir.path(), &[]);
    Served { kiln, dir }
}

/// Writes an app folder (as [`app_dir`](super::app_dir)) and runs `kiln up`
/// on it, expecting it to fail at startup; returns its stderr.
pub fn startup_error(manifest: &str, files: &[(&str, &[u8])]) -> String {
    let dir = super::app_dir(manifest, files);
    up_fails(dir.path())
}

/// Asserts that `text` contains every one of `fragments`, naming the
/// missing one.
#[track_caller]
pub fn assert_contains_all(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(text.contains(fragment), "missing {fragment:?} in: {text}");
    }
}
