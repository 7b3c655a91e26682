//! The Redis trigger's startup errors and its drain at shutdown, with the
//! `spin-rust-redis` trigger guest (Rust `spin-sdk` 5.2.0): for each message
//! it `RPUSH`es the payload to the list its `list` variable names, on the
//! server its `address` variable names.
//!
//! The drain test puts a slow TCP proxy (started here) between the guest's
//! outbound Redis connection and the real server at 127.0.0.1:6379 (database
//! 12), so a handler is still working when SIGTERM arrives.

mod common;

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
    Manifest::new("redis-lifecycle")
        .redis(trigger_address, channel, "sub")
        .component("sub", wasm, &redis_subscriber("sub", &allowed, outbound_address, list))
        .toml()
}

/// Runs `kiln up` on `dir` expecting it to fail; its stderr.
fn fails(dir: &Path) -> String {
    let output = kiln_command(&["up", "-f"])
        .arg(dir)
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
    Resp::connect_to(REDIS, DATABASE).array(&["LRANGE", key, "0", "-1"])
}

/// Runs one command on the default database; the first reply line.
fn command(args: &[&str]) -> String {
    Resp::connect(REDIS).command(args)
}


#[test]
fn sigterm_lets_a_running_handler_finish() {
    require!(kiln_test_support::REDIS);
    let proxy = SlowProxy::start(REDIS, Duration::from_millis(1000));
    let channel = unique("channel");
    let key = unique("drained");
    let outbound = format!("redis://127.0.0.1:{}/{DATABASE}", proxy.port);
    let wasm = guest("spin_rust_redis_trigger.wasm");
    let dir = app_dir(&manifest(&wasm, "redis://127.0.0.1:6379", &channel, &outbound, &key), &[]);
    let mut child = KillOnDrop(
        kiln_command(&["up", "-f"])
            .arg(dir.path())
            .args(["--drain-timeout", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kiln"),
    );
    let stderr_text = Arc::new(Mutex::new(String::new()));
    collect_lines(child.0.stderr.take().unwrap(), stderr_text.clone());
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
    let mut cleanup = Resp::connect(REDIS);
    cleanup.send(&["SELECT", DATABASE]);
    cleanup.send(&["DEL", &key]);
}
