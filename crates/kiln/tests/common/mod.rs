//! Shared test harness: builds guest fixtures once and runs `kiln up` as a
//! child process on a free port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

// Not every test binary uses both.
#[allow(unused_imports)]
pub use kiln_test_support::{repo_root, service_available};

/// Builds (or reuses) the guest fixtures and returns their folder.
pub fn guests() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/build-guests.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/build-guests.sh");
        assert!(output.status.success(), "scripts/build-guests.sh failed");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout
            .lines()
            .last()
            .expect("build-guests.sh printed its output folder");
        PathBuf::from(last.trim())
    })
}

/// A guest file from the fixtures, or `None` for an optional guest whose
/// toolchain could not be installed (the build script said why).
pub fn optional_guest(name: &str) -> Option<PathBuf> {
    let path = guests().join(name);
    path.is_file().then_some(path)
}

/// A guest file that must exist.
pub fn guest(name: &str) -> PathBuf {
    let path = guests().join(name);
    assert!(
        path.is_file(),
        "guest fixture {} was not built",
        path.display()
    );
    path
}

/// Writes an app folder: `spin.toml` with `manifest` and any extra files.
pub fn app_dir(manifest: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("spin.toml"), manifest).expect("write manifest");
    for (name, contents) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write file");
    }
    dir
}

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
        let mut child = command
            .arg("up")
            .arg("-f")
            .arg(from)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("KILN_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kiln");
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
        let err_pipe = child.stderr.take().expect("stderr");
        let err_buf = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut buf = err_buf.lock().unwrap();
                buf.push_str(&line);
                buf.push('\n');
            }
        });
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

/// A blocking HTTP client (no proxy from the environment).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Runs `kiln <args>` to completion, stdin closed.
pub fn kiln(args: &[&str]) -> std::process::Output {
    Command::new(kiln_bin()).args(args).stdin(Stdio::null()).output().expect("run kiln")
}

/// A tokio runtime for async client calls in sync tests.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

