//! Outbound Redis and the Redis trigger end to end, against the Redis server
//! at 127.0.0.1:6379 (database 9, keys unique per run): the
//! `spin-rust-redis` guests (Rust `spin-sdk` 5.2.0) served by `kiln up`.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const REDIS: &str = "127.0.0.1:6379";
const ADDRESS: &str = "redis://127.0.0.1:6379/9";
/// `ADDRESS`, percent-encoded for a query string.
const ADDRESS_QUERY: &str = "redis%3A%2F%2F127.0.0.1%3A6379%2F9";

fn unique(name: &str) -> String {
    kiln_test_support::unique_name(&format!("kiln-test-{name}"))
}

/// Asserts that `call` answers `expected` (status, body).
#[track_caller]
fn expect_call(kiln: &Kiln, method: reqwest::Method, path: &str, body: &str, expected: (u16, &str)) {
    let (status, text) = call(kiln, method, path, body);
    assert_eq!((status, text.as_str()), expected, "{path}");
}

/// Runs one command on database 9 with a raw RESP client; returns the first
/// reply line (`:3`, `+OK`, `$5`, `*2`, …).
fn redis_command(args: &[&str]) -> String {
    redis_command_at(REDIS, args)
}

/// [`redis_command`] on the server at `addr`.
fn redis_command_at(addr: &str, args: &[&str]) -> String {
    Resp::connect_to(addr, "9").command(args)
}

/// `LINDEX key index` on database 9: the element's text, if any.
fn list_item(key: &str, index: i64) -> Option<String> {
    Resp::connect_to(REDIS, "9").bulk(&["LINDEX", key, &index.to_string()])
}

/// `LLEN key` on database 9 of the server at `addr`.
fn list_len_at(addr: &str, key: &str) -> usize {
    redis_command_at(addr, &["LLEN", key])
        .trim_start_matches(':')
        .parse()
        .expect("LLEN answers an integer")
}

/// Waits until `key` holds `n` items (or 30 s pass); returns the length.
fn wait_for_len(key: &str, n: usize) -> usize {
    wait_for_len_at(REDIS, key, n)
}

/// [`wait_for_len`] on the server at `addr`.
fn wait_for_len_at(addr: &str, key: &str, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let len = list_len_at(addr, key);
        if len >= n || Instant::now() > deadline {
            return len;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn outbound_manifest(wasm: &Path, allowed: &str) -> String {
    one_route_app("redis-outbound", "outbound", wasm, &format!("allowed_outbound_hosts = [{allowed}]"))
}

/// `(status, body)` of a request to the outbound guest, against `ADDRESS`.
fn call(kiln: &Kiln, method: reqwest::Method, path: &str, body: &str) -> (u16, String) {
    let url = kiln.url(&format!("{path}?addr={ADDRESS_QUERY}"));
    rt().block_on(async {
        let resp = client()
            .request(method, url)
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    })
}

#[test]
fn outbound_redis_every_operation() {
    require!(kiln_test_support::REDIS);
    let app = app_dir(
        &outbound_manifest(
            &guest("spin_rust_redis_http.wasm"),
            r#""redis://127.0.0.1:6379""#,
        ),
        &[],
    );
    let kiln = Kiln::up(app.path(), &[]);
    use reqwest::Method as M;
    let key = unique("key");
    expect_call(&kiln, M::GET, &format!("/get/{key}"), "", (404, "not found"));
    expect_call(&kiln, M::PUT, &format!("/set/{key}"), "hello", (200, "ok"));
    expect_call(&kiln, M::GET, &format!("/get/{key}"), "", (200, "hello"));
    assert_eq!(redis_command(&["GET", &key]), "$5", "written to database 9");
    // INCR of a non-integer is a server error, reported as the interface's error.
    let (status, body) = call(&kiln, M::POST, &format!("/incr/{key}"), "");
    assert_eq!(status, 500);
    assert!(body.starts_with("error: "), "{body}");
    let counter = unique("counter");
    expect_call(&kiln, M::POST, &format!("/incr/{counter}"), "", (200, "1"));
    expect_call(&kiln, M::POST, &format!("/incr/{counter}"), "", (200, "2"));
    let set = unique("set");
    expect_call(&kiln, M::POST, &format!("/sadd/{set}/a/b/a"), "", (200, "2"));
    expect_call(&kiln, M::GET, &format!("/smembers/{set}"), "", (200, "a,b"));
    expect_call(&kiln, M::POST, &format!("/srem/{set}/a/z"), "", (200, "1"));
    expect_call(&kiln, M::GET, &format!("/smembers/{set}"), "", (200, "b"));
    // A set is the wrong type for INCR: `type-error`.
    let (status, body) = call(&kiln, M::POST, &format!("/incr/{set}"), "");
    assert_eq!((status, body.as_str()), (500, "error: Error::TypeError"));
    let list = unique("list");
    expect_call(&kiln, M::POST, &format!("/execute/RPUSH/{list}/x/7"), "", (200, "[RedisResult::Int64(2)]"));
    assert_eq!(
        call(&kiln, M::POST, &format!("/execute/LRANGE/{list}/0/-1"), ""),
        (
            200,
            "[RedisResult::Binary([120]), RedisResult::Binary([55])]".into()
        )
    );
    assert_eq!(
        call(&kiln, M::POST, &format!("/execute/SET/{list}/v"), ""),
        (200, "[RedisResult::Status(\"OK\")]".into())
    );
    assert_eq!(
        call(
            &kiln,
            M::POST,
            &format!("/publish/{}", unique("channel")),
            "msg"
        ),
        (200, "published".into())
    );
    assert_eq!(
        call(
            &kiln,
            M::POST,
            &format!("/del/{key}/{counter}/{set}/{list}/{}", unique("absent")),
            ""
        ),
        (200, "4".into())
    );
    assert_eq!(redis_command(&["EXISTS", &key]), ":0");
}

#[test]
fn outbound_redis_is_denied_unless_allowed() {
    require!(kiln_test_support::REDIS);
    let wasm = guest("spin_rust_redis_http.wasm");
    for allowed in [
        "",
        r#""redis://127.0.0.1:6380""#,
        r#""http://127.0.0.1:6379""#,
    ] {
        let kiln = serve(app_dir(&outbound_manifest(&wasm, allowed), &[]));
        let key = unique("denied");
        let (status, body) = call(&kiln, reqwest::Method::PUT, &format!("/set/{key}"), "x");
        assert_eq!(
            (status, body.as_str()),
            (500, "error: Error::InvalidAddress"),
            "allowed = [{allowed}]"
        );
        assert_eq!(
            redis_command(&["EXISTS", &key]),
            ":0",
            "nothing was written"
        );
    }
}

fn trigger_manifest(http: Option<&Path>, trigger: &Path, channel: &str, lists: &[&str]) -> String {
    let mut manifest = Manifest::new("redis-trigger").raw(&format!(
        "[application.trigger.redis]\naddress = \"{ADDRESS}\"\n\n[variables]\n\
         redis_address = {{ default = \"{ADDRESS}\" }}\nchannel = {{ default = \"{channel}\" }}"
    ));
    if let Some(http) = http {
        let allowed = r#"allowed_outbound_hosts = ["redis://127.0.0.1:6379"]"#;
        manifest = manifest.http("/...", "outbound").component("outbound", http, allowed);
    }
    for (i, list) in lists.iter().enumerate() {
        // The first uses the app's default address, the others their own.
        let address = if i == 0 { "" } else { "address = \"{{ redis_address }}\"\n" };
        let id = format!("sub{i}");
        manifest = manifest
            .raw(&format!("[[trigger.redis]]\nchannel = \"{{{{ channel }}}}\"\ncomponent = \"{id}\"\n{address}"))
            .component(&id, trigger, &redis_subscriber(&id, "redis://127.0.0.1:6379", "{{ redis_address }}", list));
    }
    manifest.toml()
}

#[test]
fn trigger_delivers_every_message_to_every_subscribed_component() {
    require!(kiln_test_support::REDIS);
    let channel = unique("channel");
    let (first, second) = (unique("first"), unique("second"));
    let app = app_dir(
        &trigger_manifest(
            Some(&guest("spin_rust_redis_http.wasm")),
            &guest("spin_rust_redis_trigger.wasm"),
            &channel,
            &[&first, &second],
        ),
        &[],
    );
    let kiln = Kiln::up(app.path(), &[]);
    assert!(
        kiln.wait_for_output("subscribed to Redis"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    let stdout = kiln.stdout.lock().unwrap().clone();
    assert!(
        stdout.contains(&format!("sub0: {ADDRESS} channel `{channel}`")),
        "{stdout}"
    );
    // A failing and a trapping handler are logged and change nothing.
    for payload in ["fail", "trap"] {
        assert_eq!(
            redis_command(&["PUBLISH", &channel, payload]),
            ":1",
            "one subscription per address, shared by both components"
        );
    }
    for i in 0..10 {
        redis_command(&["PUBLISH", &channel, &format!("message-{i}")]);
    }
    assert_eq!(wait_for_len(&first, 10), 10);
    assert_eq!(wait_for_len(&second, 10), 10);
    // HTTP is served beside the trigger.
    let (status, _) = call(
        &kiln,
        reqwest::Method::GET,
        &format!("/get/{}", unique("nothing")),
        "",
    );
    assert_eq!(status, 404);
    assert!(
        kiln.wait_for_output("handler trapped"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(
        stderr.contains("sub0") && stderr.contains("Redis message handler failed"),
        "{stderr}"
    );
    redis_command(&["DEL", &first, &second]);
}

#[test]
fn an_app_with_only_redis_triggers_runs_and_stops_on_ctrl_c() {
    require!(kiln_test_support::REDIS);
    let channel = unique("only-channel");
    let list = unique("only");
    let app = app_dir(
        &trigger_manifest(
            None,
            &guest("spin_rust_redis_trigger.wasm"),
            &channel,
            &[&list],
        ),
        &[],
    );
    let mut child = KillOnDrop(
        kiln_command(&["up", "-f"])
            .arg(app.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kiln"),
    );
    let child = &mut child.0;
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("subscribed to Redis") {
                let _ = tx.send(());
            }
        }
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(120)).is_ok(),
        "kiln did not subscribe"
    );
    redis_command(&["PUBLISH", &channel, "solo"]);
    assert_eq!(wait_for_len(&list, 1), 1);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "kiln did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(
        stdout.contains("Redis triggers:") && !stdout.contains("Serving http://"),
        "{stdout}"
    );
    redis_command(&["DEL", &list]);
}

#[test]
fn spin1_trigger_and_outbound_redis_allowed_and_denied() {
    require!(kiln_test_support::REDIS);
    let channel = unique("v1-channel");
    let allowed = r#"allowed_outbound_hosts = ["redis://127.0.0.1:6379"]"#;
    let manifest = Manifest::new("redis-v1")
        .http("/...", "outbound")
        .component("outbound", guest("spin_rust_redis_http.wasm"), allowed)
        .redis(ADDRESS, &channel, "v1")
        .component("v1", guest("spin_rust_redis_v1.wasm"), allowed)
        .toml();
    let kiln = serve(app_dir(&manifest, &[]));
    assert!(
        kiln.wait_for_output("subscribed to Redis"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    let allowed = unique("v1-allowed");
    redis_command(&[
        "PUBLISH",
        &channel,
        &format!("{ADDRESS}\n{ADDRESS}\n{allowed}"),
    ]);
    assert_eq!(wait_for_len(&format!("{allowed}:log"), 1), 1);
    assert_eq!(
        list_item(&format!("{allowed}:log"), 0).as_deref(),
        Some(
            r#"set=Ok(()) get=Ok("v1") incr=Ok(1) sadd=Ok(2) smembers=Ok(["a", "b"]) srem=Ok(1) execute=Ok(["PONG"]) publish=Ok(()) del=Ok(3)"#
        )
    );
    let denied = unique("v1-denied");
    redis_command(&[
        "PUBLISH",
        &channel,
        &format!("{ADDRESS}\nredis://127.0.0.1:6380/9\n{denied}"),
    ]);
    assert_eq!(wait_for_len(&format!("{denied}:log"), 1), 1);
    let outcome = list_item(&format!("{denied}:log"), 0).unwrap();
    // Spin 1's only failure value, `error` (wit-bindgen's Debug of the enum).
    assert!(
        outcome.starts_with(r#"set=Err(Error { code: 1, name: "error""#),
        "{outcome}"
    );
    assert!(!outcome.contains("Ok("), "{outcome}");
    redis_command(&["DEL", &format!("{allowed}:log"), &format!("{denied}:log")]);
}

/// A private `redis-server` on `port` (no persistence), so the test can stop
/// and restart it without disturbing the shared one.
fn start_private_redis(port: u16) -> KillOnDrop {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "redis-server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    KillOnDrop(child)
}

#[test]
fn trigger_resubscribes_after_redis_restarts() {
    require!(kiln_test_support::REDIS);
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no redis-server binary to start a private server");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let address = format!("redis://127.0.0.1:{port}/9");
    let channel = unique("restart-channel");
    let list = unique("restart");
    let sub = redis_subscriber("sub", &format!("redis://127.0.0.1:{port}"), &address, &list);
    let manifest = Manifest::new("redis-restart")
        .http("/...", "outbound")
        .component("outbound", guest("spin_rust_redis_http.wasm"), "")
        .redis(&address, &channel, "sub")
        .component("sub", guest("spin_rust_redis_trigger.wasm"), &sub)
        .toml();
    let mut server = start_private_redis(port);
    let kiln = serve(app_dir(&manifest, &[]));
    assert!(
        kiln.wait_for_output("subscribed to Redis"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    redis_command_at(&addr, &["PUBLISH", &channel, "before"]);
    assert_eq!(wait_for_len_at(&addr, &list, 1), 1);
    drop(server);
    assert!(
        kiln.wait_for_output("Redis connection lost"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    server = start_private_redis(port);
    let deadline = Instant::now() + Duration::from_secs(30);
    while kiln
        .stderr
        .lock()
        .unwrap()
        .matches("subscribed to Redis")
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "no resubscription: {}",
            kiln.stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The restarted server is empty; the handler's cached outbound
    // connection re-dials too.
    redis_command_at(&addr, &["PUBLISH", &channel, "after"]);
    assert_eq!(
        wait_for_len_at(&addr, &list, 1),
        1,
        "{}",
        kiln.stderr.lock().unwrap()
    );
    drop(server);
}

/// A Preview 3 subscriber (`#[redis_subscriber]`, spin-sdk 7, exporting
/// `spin:redis/inbound-redis@3.0.0`) beside a Spin 2 one on the same
/// channel: both get every message; the Preview 3 one's failures and traps
/// are logged like the Spin 2 one's.
#[test]
fn preview_3_subscriber_gets_every_message_beside_a_spin_2_one() {
    require!(kiln_test_support::REDIS);
    let channel = unique("p3-channel");
    let (spin2, preview3) = (unique("spin2"), unique("p3"));
    let mut manifest = trigger_manifest(
        Some(&guest("spin_rust_redis_http.wasm")),
        &guest("spin_rust_redis_trigger.wasm"),
        &channel,
        &[&spin2],
    );
    manifest.push_str(&format!(
        r#"
[[trigger.redis]]
channel = "{{{{ channel }}}}"
component = "p3sub"

[component.p3sub]
source = "{}"
allowed_outbound_hosts = ["redis://127.0.0.1:6379"]
[component.p3sub.variables]
address = "{{{{ redis_address }}}}"
list = "{preview3}"
"#,
        guest("spin_rust_p3_redis_trigger.wasm").display()
    ));
    let kiln = serve(app_dir(&manifest, &[]));
    assert!(
        kiln.wait_for_output("subscribed to Redis"),
        "{}",
        kiln.stderr.lock().unwrap()
    );
    for payload in ["fail", "trap"] {
        redis_command(&["PUBLISH", &channel, payload]);
    }
    for i in 0..5 {
        redis_command(&["PUBLISH", &channel, &format!("message-{i}")]);
    }
    assert_eq!(wait_for_len(&spin2, 5), 5);
    assert_eq!(wait_for_len(&preview3, 5), 5);
    let mut got: Vec<String> = (0..5).filter_map(|i| list_item(&preview3, i)).collect();
    got.sort();
    let sent: Vec<String> = (0..5).map(|i| format!("message-{i}")).collect();
    assert_eq!(got, sent);
    // Both failures are logged with the component id (log records are
    // written asynchronously: wait for them; a trap's record spans lines).
    let logged = |stderr: &str, outcome: &str| {
        without_ansi(stderr)
            .split("Redis message handler failed: ")
            .skip(1)
            .any(|record| record.starts_with(outcome) && record.contains("component=p3sub"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stderr = kiln.stderr.lock().unwrap().clone();
        if logged(&stderr, "handler returned") && logged(&stderr, "handler trapped") {
            break;
        }
        assert!(Instant::now() < deadline, "{stderr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    redis_command(&["DEL", &spin2, &preview3]);
}

/// `text` without ANSI escape sequences (the log's colours).
fn without_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn outbound_redis_to_a_blocked_network_is_invalid_address() {
    require!(kiln_test_support::REDIS);
    let wasm = guest("spin_rust_redis_http.wasm");
    let app = app_dir(
        &outbound_manifest(&wasm, r#""redis://*:*""#),
        &[("rc.toml", b"[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n")],
    );
    let config = app.path().join("rc.toml");
    let kiln = Kiln::up(app.path(), &["--runtime-config-file", config.to_str().unwrap()]);
    let key = unique("blocked");
    let (status, body) = call(&kiln, reqwest::Method::PUT, &format!("/set/{key}"), "x");
    assert_eq!((status, body.as_str()), (500, "error: Error::InvalidAddress"));
    assert_eq!(redis_command(&["EXISTS", &key]), ":0", "nothing was written");
    drop(kiln);
    // Without the list the same request goes through.
    let kiln = Kiln::up(app.path(), &[]);
    let (status, body) = call(&kiln, reqwest::Method::PUT, &format!("/set/{key}"), "x");
    assert_eq!(status, 200, "{body}");
    assert_eq!(redis_command(&["DEL", &key]), ":1");
}
