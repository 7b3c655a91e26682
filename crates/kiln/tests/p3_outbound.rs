//! Preview 3 outbound Redis and MySQL end to end: the
//! `spin-rust-p3-redis-mysql` guest (Rust `spin-sdk` 7.0.0,
//! `spin:redis/redis@3.0.0` and `spin:mysql/mysql@3.0.0` `async func`s)
//! served by `kiln up` talks to the Redis server at 127.0.0.1:6379 (database
//! 11, keys unique per run) and to MariaDB at 127.0.0.1:3306 (database
//! `test`, a table unique per run); servers missing from
//! `allowed_outbound_hosts` get `invalid-address` / `connection-failed`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

const REDIS: &str = "127.0.0.1:6379";
/// The guest's address: a database no other test file uses.
const ADDRESS: &str = "redis://127.0.0.1:6379/11";

fn unique(name: &str) -> String {
    kiln_test_support::unique_name(&format!("kiln-p3-{name}"))
}

/// Writes one RESP command to `stream`.
fn send(stream: &mut TcpStream, args: &[&str]) {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).unwrap();
}

/// Reads `n` reply lines, trimmed.
fn lines(reader: &mut BufReader<TcpStream>, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            line.trim_end().to_string()
        })
        .collect()
}

/// `GET key` on database 11 with a raw RESP client: the value's text.
fn get(key: &str) -> Option<String> {
    let mut stream = TcpStream::connect(REDIS).unwrap();
    send(&mut stream, &["SELECT", "11"]);
    send(&mut stream, &["GET", key]);
    let mut reader = BufReader::new(stream);
    assert_eq!(lines(&mut reader, 1), ["+OK"]);
    let head = lines(&mut reader, 1).remove(0);
    (head != "$-1").then(|| lines(&mut reader, 1).remove(0))
}

/// An app serving the guest on `/...`, with `allowed_outbound_hosts` as given.
fn app(allowed_outbound_hosts: &str) -> tempfile::TempDir {
    let wasm = guest("spin_rust_p3_redis_mysql.wasm");
    let manifest = format!(
        r#"spin_manifest_version = 2
[application]
name = "p3-outbound"

[[trigger.http]]
route = "/..."
component = "p3"

[component.p3]
source = "{}"
allowed_outbound_hosts = {allowed_outbound_hosts}
"#,
        wasm.display()
    );
    app_dir(&manifest, &[])
}

const MYSQL: &str = "127.0.0.1:3306";
const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Asks the guest for its MySQL round trip on `table`: (status, body).
fn mysql_route(kiln: &Kiln, table: &str) -> (u16, String) {
    rt().block_on(async {
        let resp = client()
            .get(kiln.url("/mysql"))
            .query(&[("address", MYSQL_URL), ("table", table)])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    })
}

/// A table name no other run shares.
fn unique_table() -> String {
    unique("t").replace('-', "_")
}

/// Asks the guest for its Redis round trip: (status, body).
fn redis_route(kiln: &Kiln, address: &str, key: &str, channel: &str) -> (u16, String) {
    rt().block_on(async {
        let resp = client()
            .get(kiln.url("/redis"))
            .query(&[("address", address), ("key", key), ("channel", channel)])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    })
}

#[test]
fn redis_set_get_incr_publish_against_a_listed_server() {
    if !service_available("Redis", REDIS) {
        return;
    }
    let dir = app(r#"["redis://127.0.0.1:6379"]"#);
    let kiln = Kiln::up(dir.path(), &[]);
    let key = unique("key");
    let channel = unique("channel");

    // Subscribe first, so the guest's publish is seen.
    let mut subscriber = TcpStream::connect(REDIS).unwrap();
    subscriber
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    send(&mut subscriber, &["SUBSCRIBE", &channel]);
    let mut messages = BufReader::new(subscriber);
    assert_eq!(lines(&mut messages, 6)[2], "subscribe");

    assert_eq!(
        redis_route(&kiln, ADDRESS, &key, &channel),
        (200, r#"{"get":"hello","incr":[1,2]}"#.to_string())
    );
    let message = lines(&mut messages, 7);
    assert_eq!(
        (
            message[2].as_str(),
            message[4].as_str(),
            message[6].as_str()
        ),
        ("message", channel.as_str(), "hi")
    );
    // The writes landed in database 11.
    assert_eq!(get(&key).as_deref(), Some("hello"));
    assert_eq!(get(&format!("{key}:n")).as_deref(), Some("2"));

    // A second request reuses the cached connection.
    assert_eq!(
        redis_route(&kiln, ADDRESS, &key, &channel),
        (200, r#"{"get":"hello","incr":[3,4]}"#.to_string())
    );
}

#[test]
fn redis_unlisted_server_is_invalid_address() {
    if !service_available("Redis", REDIS) {
        return;
    }
    let key = unique("denied");
    for allowed in [
        "[]",
        r#"["redis://127.0.0.1:6380"]"#,
        r#"["redis://10.0.0.1:6379"]"#,
    ] {
        let dir = app(allowed);
        let kiln = Kiln::up(dir.path(), &[]);
        assert_eq!(
            redis_route(&kiln, ADDRESS, &key, "unused"),
            (500, "error: Error::InvalidAddress".to_string()),
            "allowed_outbound_hosts = {allowed}"
        );
    }
    assert_eq!(get(&key), None, "a denied guest wrote nothing");
}

#[test]
fn mysql_create_insert_query_against_a_listed_server() {
    if !service_available("MariaDB", MYSQL) {
        return;
    }
    let dir = app(r#"["mysql://127.0.0.1:3306"]"#);
    let kiln = Kiln::up(dir.path(), &[]);
    for _ in 0..2 {
        assert_eq!(
            mysql_route(&kiln, &unique_table()),
            (200, r#"[[1,"one"],[2,"two"]]"#.to_string())
        );
    }
}

#[test]
fn mysql_unlisted_server_is_connection_failed() {
    if !service_available("MariaDB", MYSQL) {
        return;
    }
    for allowed in [
        "[]",
        r#"["mysql://127.0.0.1:3307"]"#,
        r#"["redis://127.0.0.1:3306"]"#,
    ] {
        let dir = app(allowed);
        let kiln = Kiln::up(dir.path(), &[]);
        let (status, body) = mysql_route(&kiln, &unique_table());
        assert_eq!(status, 500, "allowed_outbound_hosts = {allowed}: {body}");
        assert!(
            body.starts_with("error: MysqlError(Error::ConnectionFailed(")
                && body.contains("not allowed"),
            "allowed_outbound_hosts = {allowed}: {body}"
        );
    }
}
