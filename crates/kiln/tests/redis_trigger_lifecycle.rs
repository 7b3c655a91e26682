//! The Redis trigger's startup errors and its drain at shutdown, with the
//! `spin-rust-redis` trigger guest (Rust `spin-sdk` 5.2.0): for each message
//! it `RPUSH`es the payload to the list its `list` variable names, on the
//! server its `address` variable names.
//!
//! The drain test puts a slow TCP proxy (started here) between the guest's
//! outbound Redis connection and the real server at 127.0.0.1:6379 (database
//! 12), so a handler is still working when SIGTERM arrives.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const REDIS: &str = "127.0.0.1:6379";
/// The database the guest writes to (through the proxy).
const DATABASE: &str = "12";

fn unique(name: &str) -> String {
    kiln_test_support::unique_name(&format!("kiln-lifecycle-{name}"))
}

/// An app whose component `sub` is subscribed to `channel` at
/// `trigger_address` and writes to `list` at `outbound_address`.
fn manifest(wasm: &Path, trigger_address: &str, channel: &str, outbound_address: &str, list: &str) -> String {
    let allowed = outbound_address.split('/').take(3).collect::<Vec<_>>().join("/");
    format!(
        r#"spin_manifest_version = 2
[application]
name = "redis-lifecycle"

[[trigger.redis]]
address = "{trigger_address}"
channel = "{channel}"
component = "sub"

[component.sub]
source = "{wasm}"
allowed_outbound_hosts = ["{allowed}"]
[component.sub.variables]
address = "{outbound_address}"
list = "{list}"
"#,
        wasm = wasm.display()
    )
}

/// Runs `kiln up` on `dir` expecting it to fail; its stderr.
fn fails(dir: &Path) -> String {
    let output = Command::new(kiln_bin())
        .args(["up", "-f"])
        .arg(dir)
        .env("KILN_LOG", "info")
        .stdin(Stdio::null())
        .output()
        .expect("run kiln");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "kiln up served: {stderr}");
    stderr
}

#[test]
fn an_unreachable_address_stops_startup_naming_it_and_the_component() {
    // Nothing listens on a port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("redis://127.0.0.1:{port}");
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let dir = app_dir(&manifest(&wasm, &address, "news", &address, "unused"), &[]);
    let stderr = fails(dir.path());
    assert!(stderr.contains(&format!("cannot connect to {address}")), "{stderr}");
    assert!(stderr.contains("`sub`") && stderr.contains("`news`"), "{stderr}");
    // No retry loop in the background: the process ended with the error.
    assert!(!stderr.contains("retrying"), "{stderr}");
}

#[test]
fn a_password_in_an_unreachable_address_is_not_shown() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("redis://user:hunter2@127.0.0.1:{port}");
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let dir = app_dir(&manifest(&wasm, &address, "news", "redis://127.0.0.1:6379", "unused"), &[]);
    let stderr = fails(dir.path());
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn an_address_template_with_an_undefined_variable_stops_startup() {
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let dir = app_dir(
        &manifest(&wasm, "{{ redis_host_nowhere }}", "news", "redis://127.0.0.1:6379", "unused"),
        &[],
    );
    let stderr = fails(dir.path());
    assert!(stderr.contains("variable `redis_host_nowhere` is not declared"), "{stderr}");
    assert!(stderr.contains("`sub`"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_address_variable_without_a_value_stops_startup() {
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let mut text = manifest(&wasm, "{{ redis_address }}", "news", "redis://127.0.0.1:6379", "unused");
    text.push_str("\n[variables]\nredis_address = { required = true }\n");
    let dir = app_dir(&text, &[]);
    let stderr = fails(dir.path());
    assert!(stderr.contains("redis_address"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A TCP proxy to `upstream` that holds every new connection for `delay`
/// before relaying it; counts connections.
struct SlowProxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl SlowProxy {
    fn start(upstream: &'static str, delay: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        runtime.spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        Self { port, accepted, _runtime: runtime }
    }
}

/// `LRANGE key 0 -1` on database 12 with a raw RESP client.
fn list(key: &str) -> Vec<String> {
    let mut stream = TcpStream::connect(REDIS).expect("connect to Redis");
    let mut request = Vec::new();
    for command in [&["SELECT", DATABASE][..], &["LRANGE", key, "0", "-1"]] {
        write!(request, "*{}\r\n", command.len()).unwrap();
        for arg in command {
            write!(request, "${}\r\n{arg}\r\n", arg.len()).unwrap();
        }
    }
    stream.write_all(&request).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = || {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    };
    assert_eq!(line(), "+OK");
    let count: usize = line().trim_start_matches('*').parse().unwrap_or(0);
    (0..count)
        .map(|_| {
            let _length = line();
            line()
        })
        .collect()
}

/// Runs one command on the default database; the first reply line.
fn command(args: &[&str]) -> String {
    let mut stream = TcpStream::connect(REDIS).expect("connect to Redis");
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

/// Kills the child if the test ends early.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigterm_lets_a_running_handler_finish() {
    if !service_available("Redis", REDIS) {
        return;
    }
    let proxy = SlowProxy::start(REDIS, Duration::from_millis(1000));
    let channel = unique("channel");
    let key = unique("drained");
    let outbound = format!("redis://127.0.0.1:{}/{DATABASE}", proxy.port);
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let dir = app_dir(&manifest(&wasm, "redis://127.0.0.1:6379", &channel, &outbound, &key), &[]);
    let mut child = KillOnDrop(
        Command::new(kiln_bin())
            .args(["up", "-f"])
            .arg(dir.path())
            .args(["--drain-timeout", "20"])
            .env("KILN_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kiln"),
    );
    let stderr_text = Arc::new(Mutex::new(String::new()));
    let pipe = child.0.stderr.take().unwrap();
    let sink = stderr_text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    let wait_for = |what: &dyn Fn() -> bool, why: &str| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !what() {
            assert!(Instant::now() < deadline, "{why}: {}", stderr_text.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for(&|| stderr_text.lock().unwrap().contains("subscribed to Redis"), "kiln did not subscribe");
    assert_eq!(command(&["PUBLISH", &channel, "in-flight"]), ":1");
    // The handler is connecting through the proxy, which holds it: stop now.
    wait_for(&|| proxy.accepted.load(Ordering::SeqCst) > 0, "the handler never connected");
    assert!(list(&key).is_empty(), "the handler finished before the signal: the test proves nothing");
    let _ = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "kiln did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}: {}", stderr_text.lock().unwrap());
    assert_eq!(list(&key), ["in-flight"], "{}", stderr_text.lock().unwrap());
    // Let the reader thread drain the pipe.
    wait_for(&|| stderr_text.lock().unwrap().contains("every running handler finished"), "no drain report");
    // Stopped means unsubscribed: nobody receives on the channel any more.
    assert_eq!(command(&["PUBLISH", &channel, "after"]), ":0");
    let mut stream = TcpStream::connect(REDIS).unwrap();
    let request = format!(
        "*2\r\n$6\r\nSELECT\r\n${}\r\n{DATABASE}\r\n*2\r\n$3\r\nDEL\r\n${}\r\n{key}\r\n",
        DATABASE.len(),
        key.len()
    );
    let _ = stream.write_all(request.as_bytes());
}
