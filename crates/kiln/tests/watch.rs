//! `kiln watch` end to end: a real build command, real file changes, and
//! the served response checked after each rebuild or restart.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// Generous bound for a rebuild plus restart; never a performance check.
const DEADLINE: Duration = Duration::from_secs(120);

/// A running `kiln watch`, with everything it printed.
struct Watch {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    fn start(dir: &Path, extra: &[&str]) -> Watch {
        let mut command = kiln_command(&["watch", "-f", dir.to_str().unwrap(), "-d", "100"]);
        let mut child = spawn_piped(command.args(extra).args(["--", "--listen", "127.0.0.1:0"]));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect_lines(child.stdout.take().unwrap(), stdout.clone());
        collect_lines(child.stderr.take().unwrap(), stderr.clone());
        Watch { child, stdout, stderr }
    }

    /// The address of the most recent `Serving http://…` line.
    fn addr(&self) -> Option<String> {
        let out = self.stdout.lock().unwrap();
        out.lines().rev().find_map(|l| l.strip_prefix("Serving http://")).map(|a| a.trim().to_string())
    }

    /// Polls `path` on the current server until it answers `expected`.
    fn wait_for_body(&mut self, path: &str, expected: &str) {
        let deadline = Instant::now() + DEADLINE;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("kiln watch exited ({status}): {}", self.stderr.lock().unwrap());
            }
            if let Some(addr) = self.addr() {
                let got = rt().block_on(async {
                    let resp = client().get(format!("http://{addr}{path}")).send().await.ok()?;
                    resp.text().await.ok()
                });
                if let Some(body) = got {
                    if body == expected {
                        return;
                    }
                    last = body;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{path} never answered {expected:?} (last {last:?})\nstdout:\n{}\nstderr:\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        );
    }

    fn stderr_contains(&self, text: &str) -> bool {
        self.stderr.lock().unwrap().contains(text)
    }

    /// Ctrl-C; returns the exit code once it has exited.
    fn interrupt(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "kiln watch did not exit after SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // SIGTERM first so the serving child is stopped too.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(greeting: &str) -> String {
    let guest = guest("spin_rust_http_wasip2.wasm");
    let lines = format!(
        "files = [{{ source = \"data\", destination = \"/data\" }}]\n\
         environment = {{ GREETING = \"{greeting}\" }}\n\
         [component.web.build]\n\
         command = \"mkdir -p data && cp greeting.src data/greeting.txt && cp '{}' app.wasm\"\n\
         watch = [\"greeting.src\"]",
        guest.display()
    );
    one_route_app("watched", "web", "app.wasm", &lines)
}

#[test]
fn watch_rebuilds_on_watched_change_and_restarts_on_manifest_change() {
    let dir = app_dir(&manifest("first"), &[("greeting.src", b"one")]);
    let mut watch = Watch::start(dir.path(), &[]);
    watch.wait_for_body("/file", "one");
    watch.wait_for_body("/env", "first");

    // A file matching `build.watch`: rebuild (copies it into the mounted
    // folder), then restart.
    std::fs::write(dir.path().join("greeting.src"), "two").unwrap();
    watch.wait_for_body("/file", "two");
    assert!(watch.stderr_contains("changed: greeting.src (build.watch of `web`)"));
    assert!(watch.stdout.lock().unwrap().contains("Building component `web`"));

    // The manifest: restart with the new environment.
    std::fs::write(dir.path().join("spin.toml"), manifest("second")).unwrap();
    watch.wait_for_body("/env", "second");
    assert!(watch.stderr_contains("changed: spin.toml (the manifest)"));

    // An invalid manifest keeps the running server and says why.
    std::fs::write(dir.path().join("spin.toml"), "spin_manifest_version = 2\n[oops\n").unwrap();
    let deadline = Instant::now() + DEADLINE;
    while !watch.stderr_contains("still serving the previous version") {
        assert!(Instant::now() < deadline, "no manifest error logged: {}", watch.stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    watch.wait_for_body("/env", "second");

    let last_addr = watch.addr().expect("serving");
    let starts = watch.stdout.lock().unwrap().matches("Serving http://").count();
    assert_eq!(starts, 3, "served at start, after the rebuild and after the manifest change");
    assert_eq!(watch.interrupt(), Some(0), "Ctrl-C exits 0");
    // Ctrl-C stopped the serving child too.
    let refused = std::net::TcpStream::connect(last_addr.as_str()).is_err();
    assert!(refused, "the server at {last_addr} still answers after kiln watch exited");
}

#[test]
fn watch_skip_build_restarts_on_mounted_file_change_without_building() {
    let dir = app_dir(&manifest("skip"), &[("data/greeting.txt", b"mounted one")]);
    std::fs::copy(guest("spin_rust_http_wasip2.wasm"), dir.path().join("app.wasm")).unwrap();
    let mut watch = Watch::start(dir.path(), &["--skip-build"]);
    watch.wait_for_body("/file", "mounted one");
    std::fs::write(dir.path().join("data/greeting.txt"), "mounted two").unwrap();
    watch.wait_for_body("/file", "mounted two");
    assert!(watch.stderr_contains("changed: data/greeting.txt (files of `web`)"));
    assert!(!watch.stdout.lock().unwrap().contains("Building component"), "--skip-build never builds");
    assert!(!dir.path().join("greeting.src").exists());
    assert_eq!(watch.interrupt(), Some(0));
}

#[test]
fn watch_survives_a_failing_build_and_serves_once_fixed() {
    let build = format!(
        "[component.web.build]\ncommand = \"test -f fixed && cp '{}' app.wasm\"\nwatch = [\"fixed\"]",
        guest("spin_rust_http_wasip2.wasm").display()
    );
    let manifest = one_route_app("fixme", "web", "app.wasm", &build);
    let dir = app_dir(&manifest, &[]);
    let mut watch = Watch::start(dir.path(), &[]);
    let deadline = Instant::now() + DEADLINE;
    while !watch.stderr_contains("failed with exit code 1; waiting for changes") {
        assert!(Instant::now() < deadline, "no build failure logged: {}", watch.stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(watch.addr().is_none(), "nothing is served after a failed build");
    std::fs::write(dir.path().join("fixed"), "").unwrap();
    watch.wait_for_body("/hello", "Hello, Kiln!");
    assert_eq!(watch.interrupt(), Some(0));
}
