//! `--max-buffered-bytes` caps database results too: a guest whose query
//! returns several MB gets its interface's error naming the limit (not a
//! host that buffers it all), and the next, small query on the same route
//! still works. PostgreSQL through `spin:postgres@4.0.0` (`spin-rust-rdbms`)
//! and `@4.2.0`'s `query-async` (`spin-rust-p3-pg`), SQLite through
//! `spin:sqlite@3.0.0` and `fermyon:spin/sqlite@2.0.0` (`spin-rust-state`).
//! MySQL's cap through a guest (`/mysql-query`) is in `db_timeouts.rs`,
//! beside the statements a request timeout cancels.

mod common;

use common::*;

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// What every capped query's error says.
const LIMIT: &str = "result set exceeds the host's 1048576-byte limit for buffered data (--max-buffered-bytes)";
/// The guests interpolate a table name into `SELECT * FROM {table}`; a
/// subquery there runs any SELECT. 50 rows of 100,000 bytes: about 5 MB.
const PG_BIG: &str = "(SELECT repeat('x', 100000) AS v FROM generate_series(1, 50)) AS big";
const PG_SMALL: &str = "(SELECT repeat('x', 1000) AS v FROM generate_series(1, 5)) AS small";

fn app(component: &str, source: &str, grants: &str) -> tempfile::TempDir {
    app_dir(&one_route_app("result-cap", component, guest(source), grants), &[])
}

fn up(dir: &tempfile::TempDir) -> Kiln {
    Kiln::up(dir.path(), &["--max-buffered-bytes", "1M"])
}

async fn post(kiln: &Kiln, path: &str, body: String) -> (u16, String) {
    let resp = client().post(kiln.url(path)).body(body).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn get(kiln: &Kiln, path: &str) -> (u16, String) {
    let resp = client().get(kiln.url(path)).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn postgres_results_past_the_cap_fail_with_the_limit() {
    require!(kiln_test_support::POSTGRES);
    let dir = app("rdbms", "spin_rust_rdbms.wasm", r#"allowed_outbound_hosts = ["postgres://127.0.0.1:5432"]"#);
    let kiln = up(&dir);
    rt().block_on(async {
        let body = |table: &str| serde_json::json!({ "address": PG_URL, "table": table }).to_string();
        // `/pg4-query-error` runs `SELECT * FROM {table}` over @4.0.0.
        let (status, text) = post(&kiln, "/pg4-query-error", body(PG_BIG)).await;
        assert_eq!(status, 500, "{text}");
        assert!(text.starts_with("error: Error::QueryFailed(QueryError::Text("), "{text}");
        assert!(text.contains(LIMIT), "{text}");
        // It answers "unexpected success" when the query works.
        let (status, text) = post(&kiln, "/pg4-query-error", body(PG_SMALL)).await;
        assert_eq!((status, text.as_str()), (200, "\"unexpected success\""), "{text}");
        // The host is fine, and a second big query is capped the same way.
        let (status, text) = post(&kiln, "/pg4-query-error", body(PG_BIG)).await;
        assert_eq!(status, 500, "{text}");
        assert!(text.contains(LIMIT), "{text}");
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn postgres_p3_query_async_is_capped_too() {
    require!(kiln_test_support::POSTGRES);
    let dir = app("pg", "spin_rust_p3_pg.wasm", r#"allowed_outbound_hosts = ["postgres://127.0.0.1:5432"]"#);
    let kiln = up(&dir);
    rt().block_on(async {
        let path = |table: &str| format!("/pg-error?address={}&table={}", encode(PG_URL), encode(table));
        // `/pg-error` runs `SELECT * FROM {table}` through `query-async`.
        let (status, text) = get(&kiln, &path(PG_BIG)).await;
        assert_eq!(status, 500, "{text}");
        assert!(text.contains(LIMIT), "{text}");
        let (status, text) = get(&kiln, &path(PG_SMALL)).await;
        assert_eq!((status, text.as_str()), (200, "5 rows"), "{text}");
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn sqlite_results_past_the_cap_fail_with_the_limit() {
    let dir = app("state", "spin_rust_state.wasm", r#"sqlite_databases = ["default"]"#);
    let kiln = up(&dir);
    let statement = |rows: u32, bytes: u32| {
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             SELECT hex(zeroblob({})) AS v FROM n",
            bytes / 2
        );
        serde_json::json!({ "statement": sql, "params": [] }).to_string()
    };
    rt().block_on(async {
        for version in ["sqlite3", "sqlite2"] {
            let path = format!("/{version}/default");
            let (status, text) = post(&kiln, &path, statement(50, 100_000)).await;
            assert_eq!(status, 500, "{version}: {text}");
            assert!(text.starts_with("error: Error::Io("), "{version}: {text}");
            assert!(text.contains(LIMIT), "{version}: {text}");
            let (status, text) = post(&kiln, &path, statement(5, 1000)).await;
            assert_eq!(status, 200, "{version}: {text}");
            let rows: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(rows["rows"].as_array().map(Vec::len), Some(5), "{version}: {text}");
        }
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

/// The cap is the flag's: without it (64M by default) the same query works.
#[test]
fn the_default_cap_lets_a_few_megabytes_through() {
    let kiln = serve(app("state", "spin_rust_state.wasm", r#"sqlite_databases = ["default"]"#));
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
               SELECT hex(zeroblob(50000)) AS v FROM n";
    rt().block_on(async {
        let body = serde_json::json!({ "statement": sql, "params": [] }).to_string();
        let (status, text) = post(&kiln, "/sqlite3/default", body).await;
        assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}
