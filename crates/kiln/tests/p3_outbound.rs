//! Preview 3 outbound Redis and MySQL end to end: the
//! `spin-rust-p3-redis-mysql` guest (Rust `spin-sdk` 7.0.0,
//! `spin:redis/redis@3.0.0` and `spin:mysql/mysql@3.0.0` `async func`s)
//! served by `kiln up` talks to the Redis server at 127.0.0.1:6379 (database
//! 11, keys unique per run) and to MariaDB at 127.0.0.1:3306 (database
//! `test`, a table unique per run); servers missing from
//! `allowed_outbound_hosts` get `invalid-address` / `connection-failed`.

mod common;

use std::time::Duration;

use common::*;

const REDIS: &str = "127.0.0.1:6379";
/// The guest's address: a database no other test file uses.
const ADDRESS: &str = "redis://127.0.0.1:6379/11";

fn unique(name: &str) -> String {
    kiln_test_support::unique_name(&format!("kiln-p3-{name}"))
}

/// `GET key` on database 11 with a raw RESP client: the value's text.
fn get(key: &str) -> Option<String> {
    Resp::connect_to(REDIS, "11").bulk(&["GET", key])
}

/// An app serving the guest on `/...`, with `allowed_outbound_hosts` as given.
fn app(allowed_outbound_hosts: &str) -> tempfile::TempDir {
    let allowed = format!("allowed_outbound_hosts = {allowed_outbound_hosts}");
    app_dir(&one_route_app("p3-outbound", "p3", guest("spin_rust_p3_redis_mysql.wasm"), &allowed), &[])
}

const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Asks the guest for its MySQL round trip on `table`: (status, body).
fn mysql_route(kiln: &Kiln, table: &str) -> (u16, String) {
    get_with_query(kiln, "/mysql", &[("address", MYSQL_URL), ("table", table)])
}

/// A table name no other run shares.
fn unique_table() -> String {
    unique("t").replace('-', "_")
}

/// Asks the guest for its Redis round trip: (status, body).
fn redis_route(kiln: &Kiln, address: &str, key: &str, channel: &str) -> (u16, String) {
    get_with_query(kiln, "/redis", &[("address", address), ("key", key), ("channel", channel)])
}

#[test]
fn redis_set_get_incr_publish_against_a_listed_server() {
    require!(kiln_test_support::REDIS);
    let kiln = serve(app(r#"["redis://127.0.0.1:6379"]"#));
    let key = unique("key");
    let channel = unique("channel");

    // Subscribe first, so the guest's publish is seen.
    let mut messages = Resp::connect(REDIS).read_timeout(Duration::from_secs(10));
    messages.send(&["SUBSCRIBE", &channel]);
    assert_eq!(messages.lines(6)[2], "subscribe");

    assert_eq!(
        redis_route(&kiln, ADDRESS, &key, &channel),
        (200, r#"{"get":"hello","incr":[1,2]}"#.to_string())
    );
    let message = messages.lines(7);
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
    require!(kiln_test_support::REDIS);
    let key = unique("denied");
    for allowed in [
        "[]",
        r#"["redis://127.0.0.1:6380"]"#,
        r#"["redis://10.0.0.1:6379"]"#,
    ] {
        let kiln = serve(app(allowed));
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
    require!(kiln_test_support::MYSQL);
    let kiln = serve(app(r#"["mysql://127.0.0.1:3306"]"#));
    for _ in 0..2 {
        assert_eq!(
            mysql_route(&kiln, &unique_table()),
            (200, r#"[[1,"one"],[2,"two"]]"#.to_string())
        );
    }
}

#[test]
fn mysql_unlisted_server_is_connection_failed() {
    require!(kiln_test_support::MYSQL);
    for allowed in [
        "[]",
        r#"["mysql://127.0.0.1:3307"]"#,
        r#"["redis://127.0.0.1:3306"]"#,
    ] {
        let kiln = serve(app(allowed));
        let (status, body) = mysql_route(&kiln, &unique_table());
        assert_eq!(status, 500, "allowed_outbound_hosts = {allowed}: {body}");
        assert!(
            body.starts_with("error: MysqlError(Error::ConnectionFailed(")
                && body.contains("not allowed"),
            "allowed_outbound_hosts = {allowed}: {body}"
        );
    }
}
