//! Key-value, SQLite and variables end to end: the `spin-rust-state` guest
//! (Rust `spin-sdk` 5.2.0) served by `kiln up`, with the embedded SQLite
//! backends, a real Redis, and every variables provider but Vault (whose
//! provider is tested against a local KV v2 server in `kiln-variables`).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const REDIS: &str = "127.0.0.1:6379";

fn manifest(wasm: &Path, extra_component: &str) -> String {
    let variables = r#"[variables]
greeting = { default = "hello" }
audience = { required = true }
token = { default = "s3cr3t-token-value", secret = true }"#;
    let state = format!(
        "key_value_stores = [\"default\", \"extra\", \"undefined-store\"]\n\
         sqlite_databases = [\"default\", \"undefined-db\"]\n{extra_component}\n\
         [component.state.variables]\n\
         greeting = \"{{{{ greeting }}}}\"\n\
         message = \"{{{{ greeting }}}}, {{{{ audience }}}}!\"\n\
         token = \"{{{{ token }}}}\""
    );
    Manifest::new("state").raw(variables).http("/...", "state").component("state", wasm, &state).toml()
}

struct App {
    dir: tempfile::TempDir,
}

impl App {
    fn new(extra_files: &[(&str, &[u8])]) -> Self {
        let wasm = guest("spin_rust_state.wasm");
        Self { dir: app_dir(&manifest(&wasm, ""), extra_files) }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `kiln up` with `SPIN_VARIABLE_AUDIENCE` set (the required variable).
    fn up(&self, extra: &[&str]) -> Kiln {
        let mut command = Command::new(kiln_bin());
        command.env("SPIN_VARIABLE_AUDIENCE", "world");
        match Kiln::try_up_in(command, self.path(), extra) {
            Ok(kiln) => kiln,
            Err(err) => panic!("kiln up failed: {err}"),
        }
    }
}

async fn call(method: reqwest::Method, kiln: &Kiln, path: &str, body: &[u8]) -> (u16, String) {
    let resp = client().request(method, kiln.url(path)).body(body.to_vec()).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn get(kiln: &Kiln, path: &str) -> (u16, String) {
    call(reqwest::Method::GET, kiln, path, b"").await
}

async fn put(kiln: &Kiln, path: &str, body: &str) -> (u16, String) {
    call(reqwest::Method::PUT, kiln, path, body.as_bytes()).await
}

async fn post(kiln: &Kiln, path: &str, body: &str) -> (u16, String) {
    call(reqwest::Method::POST, kiln, path, body.as_bytes()).await
}

async fn delete(kiln: &Kiln, path: &str) -> (u16, String) {
    call(reqwest::Method::DELETE, kiln, path, b"").await
}

/// Store, read, list and delete through `fermyon:spin/key-value@2.0.0` and
/// `wasi:keyvalue`, in store `label` whose keys start with `prefix`.
async fn key_value_round_trip(kiln: &Kiln, label: &str, prefix: &str) {
    let key = |name: &str| format!("{prefix}{name}");
    assert_eq!(put(kiln, &format!("/kv/{label}/{}", key("a")), "alpha").await, (200, "stored".into()));
    assert_eq!(put(kiln, &format!("/kv/{label}/{}", key("b")), "beta").await, (200, "stored".into()));
    assert_eq!(get(kiln, &format!("/kv/{label}/{}", key("a"))).await, (200, "alpha".into()));
    assert_eq!(get(kiln, &format!("/kv-exists/{label}/{}", key("b"))).await, (200, "true".into()));
    assert_eq!(get(kiln, &format!("/kv/{label}/{}", key("nope"))).await, (404, "no such key".into()));
    let (status, keys) = get(kiln, &format!("/kv/{label}")).await;
    assert_eq!(status, 200, "{keys}");
    let keys: Vec<String> = serde_json::from_str(&keys).unwrap();
    assert!(keys.contains(&key("a")) && keys.contains(&key("b")), "{keys:?}");
    assert_eq!(delete(kiln, &format!("/kv/{label}/{}", key("a"))).await, (200, "deleted".into()));
    assert_eq!(get(kiln, &format!("/kv-exists/{label}/{}", key("a"))).await, (200, "false".into()));

    // The same store through wasi:keyvalue: what Spin 2 wrote is there.
    assert_eq!(get(kiln, &format!("/wasi-kv/{label}/{}", key("b"))).await, (200, "beta".into()));
    assert_eq!(post(kiln, &format!("/wasi-kv-incr/{label}/{}?by=5", key("n")), "").await.1, "5");
    assert_eq!(post(kiln, &format!("/wasi-kv-incr/{label}/{}?by=-7", key("n")), "").await.1, "-2");
    assert_eq!(get(kiln, &format!("/kv/{label}/{}", key("n"))).await, (200, "-2".into()));
    assert_eq!(post(kiln, &format!("/wasi-kv-cas/{label}/{}", key("b")), "gamma").await, (200, "swapped".into()));
    assert_eq!(get(kiln, &format!("/kv/{label}/{}", key("b"))).await, (200, "gamma".into()));
    // A write between the read and the swap makes the swap fail, and keeps the write.
    let interfered = post(kiln, &format!("/wasi-kv-cas/{label}/{}?interfere=delta", key("b")), "epsilon").await;
    assert_eq!(interfered, (409, "cas-failed".into()));
    assert_eq!(get(kiln, &format!("/kv/{label}/{}", key("b"))).await, (200, "delta".into()));
    let batch = serde_json::json!({
        "set": { key("x"): "1", key("y"): "2" },
        "get": [key("x"), key("y"), key("z")],
        "delete": [key("x")],
    });
    let (status, body) = post(kiln, &format!("/wasi-kv-batch/{label}"), &batch.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let got: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got, serde_json::json!({ key("x"): "1", key("y"): "2", key("z"): null }));
    assert_eq!(get(kiln, &format!("/kv-exists/{label}/{}", key("x"))).await, (200, "false".into()));
}

#[test]
fn key_value_file_backend_stores_lists_deletes_and_survives_a_restart() {
    let app = App::new(&[]);
    let kiln = app.up(&["--key-value", "seeded=from the command line"]);
    rt().block_on(async {
        key_value_round_trip(&kiln, "default", "").await;
        assert_eq!(get(&kiln, "/kv/default/seeded").await, (200, "from the command line".into()));

        // Not listed in key_value_stores: denied, whether or not it exists.
        assert_eq!(get(&kiln, "/kv/secret-store/k").await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(get(&kiln, "/wasi-kv/secret-store/k").await, (500, "error: Error::AccessDenied".into()));
        // Listed but defined nowhere.
        assert_eq!(get(&kiln, "/kv/undefined-store/k").await, (500, "error: Error::NoSuchStore".into()));
        put(&kiln, "/kv/default/kept", "across restarts").await;
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
    assert!(app.path().join(".spin/sqlite_key_value.db").is_file(), "default store is a file under .spin/");

    let kiln = app.up(&[]);
    rt().block_on(async {
        assert_eq!(get(&kiln, "/kv/default/kept").await, (200, "across restarts".into()));
    });
}

#[test]
fn key_value_redis_backend_passes_the_same_tests() {
    require!(kiln_test_support::REDIS);
    let prefix = format!("kiln-e2e-{}-", std::process::id());
    let app = App::new(&[(
        "runtime-config.toml",
        format!("[key_value_store.extra]\ntype = \"redis\"\nurl = \"redis://{REDIS}/11\"\n").as_bytes(),
    )]);
    let config = app.path().join("runtime-config.toml");
    let kiln = app.up(&["--runtime-config-file", config.to_str().unwrap()]);
    rt().block_on(async {
        key_value_round_trip(&kiln, "extra", &prefix).await;
        put(&kiln, &format!("/kv/extra/{prefix}kept"), "in redis").await;
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
    // Nothing of it went to the default file store; Redis kept it.
    let kiln = app.up(&["--runtime-config-file", config.to_str().unwrap()]);
    rt().block_on(async {
        assert_eq!(get(&kiln, &format!("/kv/extra/{prefix}kept")).await, (200, "in redis".into()));
        assert_eq!(get(&kiln, &format!("/kv/default/{prefix}kept")).await, (404, "no such key".into()));
        for name in ["b", "n", "y", "kept"] {
            delete(&kiln, &format!("/kv/extra/{prefix}{name}")).await;
        }
    });
}

#[test]
fn sqlite_round_trips_every_type_with_positional_parameters() {
    let app = App::new(&[("seed.sql", b"INSERT INTO notes (body) VALUES ('from a file');")]);
    let seed = app.path().join("seed.sql");
    let seed_arg = format!("@{}", seed.display());
    let kiln = app.up(&[
        "--sqlite",
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)",
        "--sqlite",
        &seed_arg,
    ]);
    rt().block_on(async {
        for version in ["sqlite2", "sqlite3"] {
            let path = format!("/{version}/default");
            let exec = |statement: &str, params: serde_json::Value| {
                serde_json::json!({ "statement": statement, "params": params }).to_string()
            };
            let (status, body) = post(&kiln, &path, &exec(
                &format!("CREATE TABLE t_{version} (i INTEGER, r REAL, t TEXT, b BLOB, n)"),
                serde_json::json!([]),
            )).await;
            assert_eq!(status, 200, "{body}");
            let row = serde_json::json!([
                { "integer": i64::MIN }, { "real": 2.5 }, { "text": "héllo" }, { "blob": [0, 1, 255] }, "null"
            ]);
            let (status, body) = post(&kiln, &path, &exec(
                &format!("INSERT INTO t_{version} VALUES (?, ?, ?, ?, ?)"),
                row.clone(),
            )).await;
            assert_eq!(status, 200, "{body}");
            if version == "sqlite3" {
                let result: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(result["changes"], 1, "{body}");
                assert_eq!(result["last_insert_rowid"], 1, "{body}");
            }
            let (status, body) = post(&kiln, &path, &exec(
                &format!("SELECT i, r, t, b, n AS missing FROM t_{version} WHERE i = ?"),
                serde_json::json!([{ "integer": i64::MIN }]),
            )).await;
            assert_eq!(status, 200, "{body}");
            let result: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(result["columns"], serde_json::json!(["i", "r", "t", "b", "missing"]), "{body}");
            assert_eq!(result["rows"], serde_json::json!([row]), "{body}");

            // SQLite's own message for a bad statement, as the interface's io error.
            let (status, body) = post(&kiln, &path, &exec("SELEC 1", serde_json::json!([]))).await;
            assert_eq!(status, 500);
            assert!(body.starts_with("error: Error::Io(") && body.contains("syntax error"), "{body}");
        }
        let (status, body) = post(&kiln, "/sqlite3/default",
            &serde_json::json!({ "statement": "SELECT body FROM notes", "params": [] }).to_string()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("from a file"), "--sqlite @file ran before serving: {body}");

        let query = serde_json::json!({ "statement": "SELECT 1", "params": [] }).to_string();
        assert_eq!(post(&kiln, "/sqlite3/other", &query).await, (500, "error: Error::AccessDenied".into()));
        assert_eq!(post(&kiln, "/sqlite2/undefined-db", &query).await, (500, "error: Error::NoSuchDatabase".into()));
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
    assert!(app.path().join(".spin/sqlite_db.db").is_file(), "default database is a file under .spin/");
}

#[test]
fn variables_come_from_defaults_environment_and_the_command_line() {
    let app = App::new(&[]);
    let kiln = app.up(&[]);
    rt().block_on(async {
        assert_eq!(get(&kiln, "/var/greeting").await, (200, "hello".into()));
        assert_eq!(get(&kiln, "/var/message").await, (200, "hello, world!".into()));
        assert_eq!(get(&kiln, "/var/nope").await, (500, "error: Error::Undefined(\"nope\")".into()));
        assert_eq!(get(&kiln, "/var/Not-Valid").await.0, 500);
        assert!(get(&kiln, "/var/Not-Valid").await.1.starts_with("error: Error::InvalidName("));
        assert_eq!(get(&kiln, "/config/message").await, (200, "hello, world!".into()));
        assert_eq!(get(&kiln, "/config/nope").await, (404, "none".into()));
        let (status, all) = get(&kiln, "/config").await;
        assert_eq!(status, 200, "{all}");
        let all: serde_json::Value = serde_json::from_str(&all).unwrap();
        assert_eq!(all["greeting"], "hello");
        assert_eq!(all["message"], "hello, world!");
        assert_eq!(get(&kiln, "/var/token").await, (200, "s3cr3t-token-value".into()));
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
    let logs = std::fs::read_dir(app.path().join(".spin/logs")).unwrap();
    for log in logs {
        let text = std::fs::read_to_string(log.unwrap().path()).unwrap();
        assert!(!text.contains("s3cr3t-token-value"), "secret in a log file");
    }

    // --variable beats the environment; a .env file beside the manifest is read.
    std::fs::write(app.path().join(".env"), "SPIN_VARIABLE_GREETING=from-dotenv\n").unwrap();
    let kiln = app.up(&["--variable", "audience=cli"]);
    rt().block_on(async {
        assert_eq!(get(&kiln, "/var/message").await, (200, "from-dotenv, cli!".into()));
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn a_missing_required_variable_fails_startup_naming_it() {
    let app = App::new(&[]);
    let mut command = Command::new(kiln_bin());
    command.env_remove("SPIN_VARIABLE_AUDIENCE");
    let err = match Kiln::try_up_in(command, app.path(), &[]) {
        Ok(_) => panic!("kiln up served without the required variable"),
        Err(err) => err,
    };
    assert!(err.contains("audience"), "{err}");
    assert!(!err.contains("s3cr3t-token-value"), "{err}");
}

#[test]
fn a_broken_runtime_config_names_file_line_and_key() {
    let app = App::new(&[("rc.toml", b"[key_value_store.extra]\ntype = \"redis\"\nurll = \"redis://x\"\n")]);
    let config = app.path().join("rc.toml");
    let err = match Kiln::try_up(app.path(), &["--runtime-config-file", config.to_str().unwrap()]) {
        Ok(_) => panic!("kiln up accepted a broken runtime config"),
        Err(err) => err,
    };
    assert!(err.contains("rc.toml:3"), "{err}");
    assert!(err.contains("urll"), "{err}");
}
