//! A request that times out while its guest waits on a database frees the
//! database too: the statement is cancelled on the server (PostgreSQL's
//! cancel request, MySQL's `KILL QUERY`), not left running for nobody, and
//! the next request on the same route works. MySQL's result cap through a
//! guest is here as well (`/mysql-query`, `fermyon:spin/mysql@2.0.0`).
//!
//! The guest (`spin-rust-rdbms`) runs `SELECT * FROM {table}`, and the
//! "table" is a subquery that sleeps for a minute; `--request-timeout 1`
//! stops the request. Each test then asks the server itself, through a
//! connection of its own, whether the statement still runs.

mod common;

use std::time::Duration;

use common::*;
use kiln_outbound_mysql::Connection as _;
use kiln_outbound_pg::Connection as _;

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

fn app() -> tempfile::TempDir {
    let allowed = allowed_hosts(&["postgres://127.0.0.1:5432", "mysql://127.0.0.1:3306"]);
    app_dir(&one_route_app("db-timeouts", "rdbms", guest("spin_rust_rdbms.wasm"), &allowed), &[])
}

/// Polls `count` until it gives 0, for up to ten seconds (the statements
/// these tests abandon would run for a minute), and returns the last count.
async fn settles_to_zero<F: std::future::Future<Output = i64>>(mut count: impl FnMut() -> F) -> i64 {
    let mut left = count().await;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = count().await;
    }
    left
}

#[test]
fn a_timed_out_postgres_statement_is_cancelled_on_the_server() {
    require!(kiln_test_support::POSTGRES);
    let dir = app();
    let kiln = Kiln::up(dir.path(), &["--request-timeout", "1"]);
    let marker = format!("kiln_timeout_pg_{}", std::process::id());
    rt().block_on(async {
        let observer = kiln_outbound_pg::Pool::new().open(PG_URL).await.expect("observer connection");
        let running = || async {
            let rows = observer
                .query(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1",
                    vec![kiln_outbound_pg::Value::Str(format!("%{marker}%"))],
                )
                .await
                .expect("pg_stat_activity");
            match rows.rows[0][0] {
                kiln_outbound_pg::Value::Int64(n) => n,
                ref other => panic!("count(*) gave {other:?}"),
            }
        };
        let table = format!("(SELECT pg_sleep(60) AS {marker}) AS slow");
        // `/pg4-query-error` runs `SELECT * FROM {table}` over @4.0.0.
        let (status, text) = post_database(&kiln, "/pg4-query-error", PG_URL, &table).await;
        assert_eq!(status, 504, "{text}");
        assert_eq!(settles_to_zero(running).await, 0, "the timed-out statement still runs on the server");
        // The route, and the pooled connection behind it, still work.
        let (status, text) = post_database(&kiln, "/pg4-query-error", PG_URL, "(SELECT 1) AS one").await;
        assert_eq!((status, text.as_str()), (200, "\"unexpected success\""), "{text}");
    });
    assert!(kiln.stderr.lock().unwrap().contains("timeout"), "the timeout is logged");
    assert_eq!(kiln.interrupt().code(), Some(0));
}

/// The server's count of running statements containing `marker`.
async fn mysql_running(observer: &kiln_outbound_mysql::MysqlConnection, marker: &str) -> i64 {
    let rows = observer
        .query(
            "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' AND INFO LIKE ?",
            vec![kiln_outbound_mysql::Value::Str(format!("%{marker}%"))],
        )
        .await
        .expect("process list");
    match rows.rows[0][0] {
        kiln_outbound_mysql::Value::Int64(n) => n,
        ref other => panic!("COUNT(*) gave {other:?}"),
    }
}

#[test]
fn a_timed_out_mysql_statement_is_killed_on_the_server() {
    require!(kiln_test_support::MYSQL);
    let dir = app();
    let kiln = Kiln::up(dir.path(), &["--request-timeout", "1"]);
    let marker = format!("kiln_timeout_my_{}", std::process::id());
    rt().block_on(async {
        let pools = kiln_outbound_mysql::Pools::new();
        let observer = pools.open(MYSQL_URL).await.expect("observer connection");
        let table = format!("(SELECT SLEEP(60) AS {marker}) AS slow");
        let (status, text) = post_database(&kiln, "/mysql-query", MYSQL_URL, &table).await;
        assert_eq!(status, 504, "{text}");
        let left = settles_to_zero(|| mysql_running(&observer, &marker)).await;
        assert_eq!(left, 0, "the timed-out statement still runs on the server");
        let (status, text) = post_database(&kiln, "/mysql-query", MYSQL_URL, "(SELECT 1 AS one) AS t").await;
        assert_eq!((status, text.as_str()), (200, "\"1 rows\""), "{text}");
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn mysql_results_past_the_cap_fail_with_the_limit() {
    require!(kiln_test_support::MYSQL);
    let dir = app();
    let kiln = Kiln::up(dir.path(), &["--max-buffered-bytes", "1M"]);
    // 50 rows of 100,000 bytes (MariaDB's sequence engine): about 5 MB.
    let big = "(SELECT REPEAT('x', 100000) AS v FROM seq_1_to_50) AS big";
    let small = "(SELECT REPEAT('x', 1000) AS v FROM seq_1_to_5) AS small";
    rt().block_on(async {
        let (status, text) = post_database(&kiln, "/mysql-query", MYSQL_URL, big).await;
        assert_eq!(status, 500, "{text}");
        assert!(text.starts_with("error: Error::QueryFailed("), "{text}");
        assert!(
            text.contains("result set exceeds the host's 1048576-byte limit for buffered data (--max-buffered-bytes)"),
            "{text}"
        );
        let (status, text) = post_database(&kiln, "/mysql-query", MYSQL_URL, small).await;
        assert_eq!((status, text.as_str()), (200, "\"5 rows\""), "{text}");
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}
