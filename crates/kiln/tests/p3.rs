//! `kiln up` serving a Preview 3 component: the Rust `spin-sdk` 7 guest,
//! which exports `wasi:http/handler@0.3.0` (an `async` function) and calls
//! Spin 3's key-value, variables and SQLite interfaces, whose functions are
//! `async` too.

mod common;

use common::*;

const ONE_MB: usize = 1 << 20;
const REDIS: &str = "127.0.0.1:6379";

#[test]
fn spin_rust_sdk_p3_component_answers_like_spin() {
    let wasm = guest("spin_rust_p3.wasm");
    let kiln = Kiln::up(&wasm, &[]);
    let client = client();
    rt().block_on(async {
        assert_hello(client.get(kiln.url("/hello")).send().await.unwrap()).await;

        // 1 MB echoed: the guest streams the request body back as the
        // response body while it is still arriving.
        let body: Vec<u8> = (0..ONE_MB).map(|i| (i % 251) as u8).collect();
        let resp = client
            .post(kiln.url("/body"))
            .header("content-type", "application/x-test")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/x-test");
        let echoed = resp.bytes().await.unwrap();
        assert_eq!(echoed.len(), ONE_MB);
        assert!(echoed[..] == body[..], "echoed body differs");

        // A trap answers 500 for that request only.
        let resp = client.get(kiln.url("/panic")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");

        // A bare component is granted no store and declares no variable.
        assert_eq!(get(&kiln, "/kv3/default/greeting").await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(get(&kiln, "/var3/greeting").await, (500, "error: Error::Undefined(\"greeting\")".into()));
    });
    assert!(kiln.wait_for_output("handled /hello"), "guest stdout echoed");
    assert!(kiln.wait_for_output("guest panic requested"), "trap logged");
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(stderr.contains("request failed"), "trap logged as a failed request: {stderr}");
    assert!(stderr.contains("spin-rust-p3"), "trap log names the component: {stderr}");
}

async fn call(method: reqwest::Method, kiln: &Kiln, path: &str, body: &str) -> (u16, String) {
    let resp = client().request(method, kiln.url(path)).body(body.to_string()).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn get(kiln: &Kiln, path: &str) -> (u16, String) {
    call(reqwest::Method::GET, kiln, path, "").await
}

async fn put(kiln: &Kiln, path: &str, body: &str) -> (u16, String) {
    call(reqwest::Method::PUT, kiln, path, body).await
}

async fn post(kiln: &Kiln, path: &str, body: &str) -> (u16, String) {
    call(reqwest::Method::POST, kiln, path, body).await
}

async fn delete(kiln: &Kiln, path: &str) -> (u16, String) {
    call(reqwest::Method::DELETE, kiln, path, "").await
}

/// An app of two components sharing the stores `default` and `extra`
/// (defined only by a runtime config): the Preview 3 guest on `/...`, the
/// Spin 2 guest (`spin-sdk` 5) on `/kv/...`.
fn state_app() -> tempfile::TempDir {
    let p3 = r#"key_value_stores = ["default", "extra", "undefined-store"]
sqlite_databases = ["default"]
[component.p3.variables]
greeting = "{{ greeting }}"
message = "{{ greeting }}, p3!""#;
    let manifest = Manifest::new("p3-state")
        .raw(r#"[variables]
greeting = { default = "hello" }"#)
        .http("/...", "p3")
        .http("/kv/...", "state")
        .component("p3", guest("spin_rust_p3.wasm"), p3)
        .component("state", guest("spin_rust_state.wasm"), r#"key_value_stores = ["default", "extra"]"#)
        .toml();
    app_dir(&manifest, &[])
}

#[test]
fn p3_key_value_shares_stores_and_access_rules_with_spin_2() {
    let kiln = serve(state_app());
    rt().block_on(async {
        assert_eq!(put(&kiln, "/kv3/default/a", "alpha").await, (200, "stored".into()));
        assert_eq!(put(&kiln, "/kv3/default/b", "beta").await, (200, "stored".into()));
        assert_eq!(get(&kiln, "/kv3/default/a").await, (200, "alpha".into()));
        assert_eq!(get(&kiln, "/kv3-exists/default/b").await, (200, "true".into()));
        assert_eq!(get(&kiln, "/kv3/default/nope").await, (404, "no such key".into()));
        // get-keys: every key off the stream, then an ok outcome.
        assert_eq!(get(&kiln, "/kv3/default").await, (200, "a\nb".into()));
        assert_eq!(delete(&kiln, "/kv3/default/a").await, (200, "deleted".into()));
        assert_eq!(get(&kiln, "/kv3-exists/default/a").await, (200, "false".into()));
        assert_eq!(get(&kiln, "/kv3/default").await, (200, "b".into()));

        // One store, whichever interface version writes or reads it.
        assert_eq!(get(&kiln, "/kv/default/b").await, (200, "beta".into()));
        assert_eq!(put(&kiln, "/kv/default/from-v2", "written by Spin 2").await, (200, "stored".into()));
        assert_eq!(get(&kiln, "/kv3/default/from-v2").await, (200, "written by Spin 2".into()));

        // Not listed in key_value_stores: denied, whether or not it exists;
        // listed but defined nowhere: no such store.
        assert_eq!(get(&kiln, "/kv3/secret-store/k").await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(get(&kiln, "/kv3/secret-store").await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(get(&kiln, "/kv3/undefined-store/k").await, (500, "error: Error::NoSuchStore".into()));
    });
}

#[test]
fn p3_key_value_over_redis_is_the_store_spin_2_sees() {
    require!(kiln_test_support::REDIS);
    let app = state_app();
    let config = app.path().join("runtime-config.toml");
    std::fs::write(&config, format!("[key_value_store.extra]\ntype = \"redis\"\nurl = \"redis://{REDIS}/12\"\n")).unwrap();
    let kiln = Kiln::up(app.path(), &["--runtime-config-file", config.to_str().unwrap()]);
    let key = format!("kiln-p3-{}", std::process::id());
    rt().block_on(async {
        assert_eq!(put(&kiln, &format!("/kv3/extra/{key}"), "in redis").await, (200, "stored".into()));
        assert_eq!(get(&kiln, &format!("/kv/extra/{key}")).await, (200, "in redis".into()));
        let (status, keys) = get(&kiln, "/kv3/extra").await;
        assert_eq!(status, 200, "{keys}");
        assert!(keys.lines().any(|k| k == key), "{keys}");
        // Redis holds it, not the default file store.
        assert_eq!(get(&kiln, &format!("/kv3/default/{key}")).await, (404, "no such key".into()));
        assert_eq!(delete(&kiln, &format!("/kv3/extra/{key}")).await, (200, "deleted".into()));
        assert_eq!(get(&kiln, &format!("/kv/extra/{key}")).await, (404, "no such key".into()));
    });
}

#[test]
fn p3_variables_resolve_the_components_own_variables() {
    let app = state_app();
    let kiln = Kiln::up(app.path(), &[]);
    rt().block_on(async {
        assert_eq!(get(&kiln, "/var3/greeting").await, (200, "hello".into()));
        assert_eq!(get(&kiln, "/var3/message").await, (200, "hello, p3!".into()));
        assert_eq!(get(&kiln, "/var3/nope").await, (500, "error: Error::Undefined(\"nope\")".into()));
        let (status, body) = get(&kiln, "/var3/Not-Valid").await;
        assert_eq!(status, 500);
        assert!(body.starts_with("error: Error::InvalidName("), "{body}");
    });
    let kiln = {
        drop(kiln);
        Kiln::up(app.path(), &["--variable", "greeting=from-cli"])
    };
    rt().block_on(async {
        assert_eq!(get(&kiln, "/var3/message").await, (200, "from-cli, p3!".into()));
    });
}

#[test]
fn p3_sqlite_streams_rows_and_shares_connections_with_the_sync_functions() {
    let kiln = serve(state_app());
    rt().block_on(async {
        let (status, body) = post(&kiln, "/sql/default", "CREATE TABLE t (i INTEGER, r REAL, t TEXT, b BLOB, n)").await;
        assert_eq!(status, 200, "{body}");
        // Every storage class round-trips through execute-async.
        let insert = "INSERT INTO t VALUES (?, ?, ?, ?, ?)\ninteger:-9223372036854775808\nreal:2.5\ntext:héllo\nblob:0001ff\nnull";
        assert_eq!(post(&kiln, "/sql/default", insert).await, (200, "\nchanges=1 last_insert_rowid=1".into()));
        // The 3.0.0 synchronous functions, on the same database.
        let (status, body) = post(&kiln, "/sql-sync/default", "INSERT INTO t (i, t) VALUES (?, ?)\ninteger:7\ntext:sync").await;
        assert_eq!((status, body.as_str()), (200, "\nchanges=1 last_insert_rowid=2"));
        let (status, body) = post(&kiln, "/sql/default", "SELECT i, r, t, b, n AS missing FROM t ORDER BY rowid").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            "i\tr\tt\tb\tmissing\n\
             integer:-9223372036854775808\treal:2.5\ttext:héllo\tblob:0001ff\tnull\n\
             integer:7\tnull\ttext:sync\tnull\tnull\n\
             changes=0 last_insert_rowid=2"
        );
        // Many rows come through the stream in order.
        let (status, body) = post(&kiln, "/sql/default",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500) SELECT x FROM n").await;
        assert_eq!(status, 200, "{body}");
        let rows: Vec<&str> = body.lines().skip(1).take(500).collect();
        let expected: Vec<String> = (1..=500).map(|x| format!("integer:{x}")).collect();
        assert_eq!(rows, expected);

        // SQLite's own message for a bad statement, as the interface's io error.
        let (status, body) = post(&kiln, "/sql/default", "SELEC 1").await;
        assert_eq!(status, 500);
        assert!(body.starts_with("error: Error::Io(") && body.contains("syntax error"), "{body}");
        // Not listed in sqlite_databases.
        assert_eq!(post(&kiln, "/sql/other", "SELECT 1").await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(post(&kiln, "/sql-sync/other", "SELECT 1").await, (500, "error: Error::AccessDenied".into()));
    });
}
