//! Outbound PostgreSQL and MySQL end to end: the `spin-rust-rdbms` guest
//! (Rust `spin-sdk` 5.2.0) served by `kiln up` against the local PostgreSQL
//! and MariaDB servers, in every interface version Kiln implements, and
//! denied when `allowed_outbound_hosts` does not list the server.

mod common;


use common::*;

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

fn manifest(allowed: &[&str]) -> String {
    one_route_app("rdbms", "rdbms", guest("spin_rust_rdbms.wasm"), &allowed_hosts(allowed))
}

/// `kiln up` serving the rdbms guest, allowed to reach `allowed`.
fn serve_rdbms(allowed: &[&str]) -> Served {
    serve(app_dir(&manifest(allowed), &[]))
}

/// [`call`] with a fresh table named after `table`, which must succeed:
/// the JSON it answered.
fn round_trip(kiln: &Kiln, route: &str, address: &str, table: &str) -> serde_json::Value {
    let (status, body) = call(kiln, route, address, &unique_table(table));
    assert_eq!(status, 200, "{body}");
    json(&body)
}

/// [`call`] that must fail with 500 and a body starting with `prefix`;
/// returns the body. `case` names the call in the failure message.
fn fails(kiln: &Kiln, case: &str, route: &str, address: &str, table: &str, prefix: &str) -> String {
    let (status, body) = call(kiln, route, address, table);
    assert_eq!(status, 500, "{case}: {body}");
    assert!(body.starts_with(prefix), "{case}: {body}");
    body
}

/// A table name no other test run uses.
fn unique_table(prefix: &str) -> String {
    kiln_test_support::unique_table(&format!("kiln_{prefix}"))
}

/// POSTs `{address, table}` to `route`; returns status and body.
fn call(kiln: &Kiln, route: &str, address: &str, table: &str) -> (u16, String) {
    rt().block_on(post_database(kiln, route, address, table))
}

#[test]
fn postgres_v2_round_trips_every_type() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432"]);
    let json = round_trip(&kiln, "/pg2", PG_URL, "pg2");
    assert_eq!(json["affected"], "1");
    assert_eq!(
        wit_strings(&json["columns"]),
        [
            "id: Int32", "b: Boolean", "i16: Int16", "i32: Int32",
            "i64: Int64", "f32: Floating32", "f64: Floating64", "s: Str",
            "bin: Binary", "n: Str",
        ]
    );
    assert_eq!(
        wit_strings(&json["rows"][0]),
        [
            "Int32(1)", "Boolean(true)", "Int16(-16)", "Int32(-32)",
            "Int64(-64)", "Floating32(1.5)", "Floating64(2.25)", "Str(\"héllo\")",
            "Binary([0, 1, 255])", "DbNull",
        ]
    );
}

#[test]
fn postgres_v3_round_trips_dates_and_times() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432"]);
    let json = round_trip(&kiln, "/pg3", PG_URL, "pg3");
    assert_eq!(json["affected"], "1");
    assert_eq!(
        wit_strings(&json["rows"][0]),
        [
            "Int32(1)", "Boolean(false)", "Int16(16)", "Int64(9223372036854775807)",
            "Floating64(-0.5)", "Str(\"pg3\")", "Binary([])", "Date((2024, 2, 29))",
            "Time((13, 14, 15, 500000000))", "Datetime((2001, 9, 9, 1, 46, 40, 0))",
            "Datetime((2001, 9, 9, 1, 46, 40, 0))", "DbNull",
        ]
    );
    assert!(wit_strings(&json["columns"]).contains(&"dt: Datetime".to_string()), "{json}");
}

#[test]
fn postgres_v4_round_trips_uuid_json_decimal_ranges_arrays_intervals() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432"]);
    let json = round_trip(&kiln, "/pg4", PG_URL, "pg4");
    assert_eq!(json["affected"], "1");
    assert_eq!(
        wit_strings(&json["rows"][0]),
        [
            "Int32(1)", "Str(\"pg4\")", "Date((1999, 12, 31))",
            "Uuid(\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\")",
            // PostgreSQL stores jsonb as `{"k": [1, 2]}`; Kiln returns compact JSON.
            &format!("Jsonb({:?})", br#"{"k":[1,2]}"#.to_vec()), "Decimal(\"12345.678\")",
            "RangeInt32((Some((1, RangeBoundKind::Inclusive)), Some((10, RangeBoundKind::Exclusive))))",
            "RangeInt64((Some((5, RangeBoundKind::Inclusive)), None))",
            "RangeDecimal((Some((\"1.5\", RangeBoundKind::Inclusive)), Some((\"2.5\", RangeBoundKind::Inclusive))))",
            "ArrayInt32([Some(1), None, Some(3)])", "ArrayInt64([Some(-9223372036854775808)])",
            "ArrayDecimal([Some(\"0.1\"), None])", "ArrayStr([Some(\"a\"), None, Some(\"c\")])",
            "Interval(Interval { micros: 1500000, days: 2, months: 3 })", "DbNull",
        ]
    );
    let columns = wit_strings(&json["columns"]);
    for expected in ["u: Uuid", "j: Jsonb", "dec: Decimal", "r4: RangeInt32", "a8: ArrayInt64", "iv: Interval"] {
        assert!(columns.contains(&expected.to_string()), "{expected} in {columns:?}");
    }
}

#[test]
fn postgres_v4_reports_bad_parameters_and_structured_query_errors() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432"]);
    fails(&kiln, "bad parameter", "/pg4-bad-param", PG_URL, "unused", "error: Error::BadParameter(");
    let missing = unique_table("missing");
    let prefix = "error: Error::QueryFailed(QueryError::DbError(";
    let body = fails(&kiln, "query error", "/pg4-query-error", PG_URL, &missing, prefix);
    assert!(body.contains("code: \"42P01\""), "{body}");
}

#[test]
fn mysql_round_trips_every_type() {
    require!(kiln_test_support::MYSQL);
    let kiln = serve_rdbms(&["mysql://127.0.0.1:3306"]);
    let json = round_trip(&kiln, "/mysql", MYSQL_URL, "my");
    assert_eq!(
        wit_strings(&json["columns"]),
        [
            "id: Int32", "i8: Int8", "i16: Int16", "i32: Int32",
            "i64: Int64", "u8: Uint8", "u16: Uint16", "u32: Uint32",
            "u64: Uint64", "f32: Floating32", "f64: Floating64", "s: Str",
            "bin: Binary", "d: Other", "n: Str",
        ]
    );
    assert_eq!(
        wit_strings(&json["rows"][0]),
        [
            "Int32(1)", "Int8(-8)", "Int16(-16)", "Int32(-32)",
            "Int64(-9223372036854775808)", "Uint8(255)", "Uint16(65535)", "Uint32(4294967295)",
            "Uint64(18446744073709551615)", "Floating32(1.5)", "Floating64(2.25)", "Str(\"héllo\")",
            "Binary([0, 1, 255])", "Str(\"2024-02-29\")", "DbNull",
        ]
    );
}

#[test]
fn spin1_postgres_and_mysql_name_the_address_in_every_call() {
    require!(kiln_test_support::POSTGRES);
    require!(kiln_test_support::MYSQL);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432", "mysql://127.0.0.1:3306"]);
    let json = round_trip(&kiln, "/pg1", PG_URL, "pg1");
    assert_eq!(json["affected"], "1");
    assert_eq!(wit_strings(&json["columns"]), ["id: Int64", "s: Str", "bin: Binary", "n: Int32"]);
    assert_eq!(wit_strings(&json["rows"][0]), ["Int64(-1)", "Str(\"spin1\")", "Binary([7])", "DbNull"]);
    let json = round_trip(&kiln, "/mysql1", MYSQL_URL, "my1");
    assert_eq!(wit_strings(&json["columns"]), ["id: Uint64", "s: Str", "n: Int32"]);
    assert_eq!(wit_strings(&json["rows"][0]), ["Uint64(7)", "Str(\"spin1\")", "DbNull"]);
}

#[test]
fn databases_not_in_allowed_outbound_hosts_are_denied() {
    // No connection is attempted, so no server is needed; the other
    // database's grant and a wrong port do not count. Spin 1 names the
    // address in each call; its error types are its own.
    let kiln = serve_rdbms(&["mysql://127.0.0.1:3307", "postgres://127.0.0.1:5433"]);
    for (route, address, error) in [
        ("/pg2", PG_URL, "Error"),
        ("/pg3", PG_URL, "Error"),
        ("/pg4", PG_URL, "Error"),
        ("/pg1", PG_URL, "PgError"),
        ("/mysql1", MYSQL_URL, "MysqlError"),
        ("/mysql", MYSQL_URL, "Error"),
    ] {
        let prefix = format!("error: {error}::ConnectionFailed(");
        let body = fails(&kiln, route, route, address, &unique_table("denied"), &prefix);
        assert!(body.contains("not allowed"), "{route}: {body}");
    }
}

#[test]
fn no_allowed_outbound_hosts_denies_every_database() {
    let kiln = serve_rdbms(&[]);
    for (route, address) in [("/pg4", PG_URL), ("/mysql", MYSQL_URL)] {
        let body = fails(&kiln, route, route, address, "unused", "");
        assert!(body.contains("ConnectionFailed") && body.contains("not allowed"), "{route}: {body}");
    }
}

#[test]
fn tls_demands_fail_with_connection_failed_and_plain_connections_still_work() {
    require!(kiln_test_support::POSTGRES);
    require!(kiln_test_support::MYSQL);
    let kiln = serve_rdbms(&["postgres://127.0.0.1:5432", "mysql://127.0.0.1:3306"]);
    // PostgreSQL's TLS (if it has any) cannot be verified without a CA root:
    // the snakeoil certificate is self-signed, and names `localhost`. The
    // local MariaDB has no TLS.
    let verify_full = format!("{PG_URL}?sslmode=verify-full");
    for (case, route, address) in [
        ("/pg2", "/pg2", verify_full.clone()),
        ("/pg4", "/pg4", verify_full),
        ("require_ssl=true", "/mysql", format!("{MYSQL_URL}?require_ssl=true")),
        ("ssl-mode=REQUIRED", "/mysql", format!("{MYSQL_URL}?ssl-mode=REQUIRED")),
    ] {
        fails(&kiln, case, route, &address, &unique_table("tls"), "error: Error::ConnectionFailed(");
    }
    round_trip(&kiln, "/pg4", &format!("{PG_URL}?sslmode=disable"), "plain");
    round_trip(&kiln, "/mysql", &format!("{MYSQL_URL}?ssl-mode=DISABLED"), "plain");
}
