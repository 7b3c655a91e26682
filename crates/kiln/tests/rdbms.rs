//! Outbound PostgreSQL and MySQL end to end: the `spin-rust-rdbms` guest
//! (Rust `spin-sdk` 5.2.0) served by `kiln up` against the local PostgreSQL
//! and MariaDB servers, in every interface version Kiln implements, and
//! denied when `allowed_outbound_hosts` does not list the server.

mod common;


use common::*;

const POSTGRES: &str = "127.0.0.1:5432";
const MYSQL: &str = "127.0.0.1:3306";
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

fn manifest(allowed: &[&str]) -> String {
    let allowed: Vec<String> = allowed.iter().map(|h| format!("\"{h}\"")).collect();
    format!(
        r#"spin_manifest_version = 2
[application]
name = "rdbms"

[[trigger.http]]
route = "/..."
component = "rdbms"

[component.rdbms]
source = "{}"
allowed_outbound_hosts = [{}]
"#,
        guest("spin_rust_rdbms.wasm").display(),
        allowed.join(", ")
    )
}

/// A table name no other test run uses.
fn unique_table(prefix: &str) -> String {
    kiln_test_support::unique_table(&format!("kiln_{prefix}"))
}

/// POSTs `{address, table}` to `route`; returns status and body.
fn call(kiln: &Kiln, route: &str, address: &str, table: &str) -> (u16, String) {
    let body = serde_json::json!({ "address": address, "table": table }).to_string();
    rt().block_on(async {
        let resp = client().post(kiln.url(route)).body(body).send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    })
}

fn rows(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The `Debug` strings of a JSON array, without wit-bindgen's `DbValue::` /
/// `DbDataType::` prefixes.
fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").replace("DbValue::", "").replace("DbDataType::", ""))
        .collect()
}

#[test]
fn postgres_v2_round_trips_every_type() {
    if !service_available("PostgreSQL", POSTGRES) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg2", PG_URL, &unique_table("pg2"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(json["affected"], "1");
    assert_eq!(
        strings(&json["columns"]),
        [
            "id: Int32",
            "b: Boolean",
            "i16: Int16",
            "i32: Int32",
            "i64: Int64",
            "f32: Floating32",
            "f64: Floating64",
            "s: Str",
            "bin: Binary",
            "n: Str"
        ]
    );
    assert_eq!(
        strings(&json["rows"][0]),
        [
            "Int32(1)",
            "Boolean(true)",
            "Int16(-16)",
            "Int32(-32)",
            "Int64(-64)",
            "Floating32(1.5)",
            "Floating64(2.25)",
            "Str(\"héllo\")",
            "Binary([0, 1, 255])",
            "DbNull"
        ]
    );
}

#[test]
fn postgres_v3_round_trips_dates_and_times() {
    if !service_available("PostgreSQL", POSTGRES) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg3", PG_URL, &unique_table("pg3"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(json["affected"], "1");
    assert_eq!(
        strings(&json["rows"][0]),
        [
            "Int32(1)",
            "Boolean(false)",
            "Int16(16)",
            "Int64(9223372036854775807)",
            "Floating64(-0.5)",
            "Str(\"pg3\")",
            "Binary([])",
            "Date((2024, 2, 29))",
            "Time((13, 14, 15, 500000000))",
            "Datetime((2001, 9, 9, 1, 46, 40, 0))",
            "Datetime((2001, 9, 9, 1, 46, 40, 0))",
            "DbNull"
        ]
    );
    assert!(strings(&json["columns"]).contains(&"dt: Datetime".to_string()), "{body}");
}

#[test]
fn postgres_v4_round_trips_uuid_json_decimal_ranges_arrays_intervals() {
    if !service_available("PostgreSQL", POSTGRES) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg4", PG_URL, &unique_table("pg4"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(json["affected"], "1");
    assert_eq!(
        strings(&json["rows"][0]),
        [
            "Int32(1)",
            "Str(\"pg4\")",
            "Date((1999, 12, 31))",
            "Uuid(\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\")",
            // PostgreSQL stores jsonb as `{"k": [1, 2]}`; Kiln returns compact JSON.
            &format!("Jsonb({:?})", br#"{"k":[1,2]}"#.to_vec()),
            "Decimal(\"12345.678\")",
            "RangeInt32((Some((1, RangeBoundKind::Inclusive)), Some((10, RangeBoundKind::Exclusive))))",
            "RangeInt64((Some((5, RangeBoundKind::Inclusive)), None))",
            "RangeDecimal((Some((\"1.5\", RangeBoundKind::Inclusive)), Some((\"2.5\", RangeBoundKind::Inclusive))))",
            "ArrayInt32([Some(1), None, Some(3)])",
            "ArrayInt64([Some(-9223372036854775808)])",
            "ArrayDecimal([Some(\"0.1\"), None])",
            "ArrayStr([Some(\"a\"), None, Some(\"c\")])",
            "Interval(Interval { micros: 1500000, days: 2, months: 3 })",
            "DbNull",
        ]
    );
    let columns = strings(&json["columns"]);
    for expected in ["u: Uuid", "j: Jsonb", "dec: Decimal", "r4: RangeInt32", "a8: ArrayInt64", "iv: Interval"] {
        assert!(columns.contains(&expected.to_string()), "{expected} in {columns:?}");
    }
}

#[test]
fn postgres_v4_reports_bad_parameters_and_structured_query_errors() {
    if !service_available("PostgreSQL", POSTGRES) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg4-bad-param", PG_URL, "unused");
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: Error::BadParameter("), "{body}");
    let (status, body) = call(&kiln, "/pg4-query-error", PG_URL, &unique_table("missing"));
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: Error::QueryFailed(QueryError::DbError("), "{body}");
    assert!(body.contains("code: \"42P01\""), "{body}");
}

#[test]
fn mysql_round_trips_every_type() {
    if !service_available("MariaDB", MYSQL) {
        return;
    }
    let dir = app_dir(&manifest(&["mysql://127.0.0.1:3306"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/mysql", MYSQL_URL, &unique_table("my"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(
        strings(&json["columns"]),
        [
            "id: Int32",
            "i8: Int8",
            "i16: Int16",
            "i32: Int32",
            "i64: Int64",
            "u8: Uint8",
            "u16: Uint16",
            "u32: Uint32",
            "u64: Uint64",
            "f32: Floating32",
            "f64: Floating64",
            "s: Str",
            "bin: Binary",
            "d: Other",
            "n: Str"
        ]
    );
    assert_eq!(
        strings(&json["rows"][0]),
        [
            "Int32(1)",
            "Int8(-8)",
            "Int16(-16)",
            "Int32(-32)",
            "Int64(-9223372036854775808)",
            "Uint8(255)",
            "Uint16(65535)",
            "Uint32(4294967295)",
            "Uint64(18446744073709551615)",
            "Floating32(1.5)",
            "Floating64(2.25)",
            "Str(\"héllo\")",
            "Binary([0, 1, 255])",
            "Str(\"2024-02-29\")",
            "DbNull"
        ]
    );
}

#[test]
fn spin1_postgres_and_mysql_name_the_address_in_every_call() {
    if !service_available("PostgreSQL", POSTGRES) || !service_available("MariaDB", MYSQL) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432", "mysql://127.0.0.1:3306"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg1", PG_URL, &unique_table("pg1"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(json["affected"], "1");
    assert_eq!(strings(&json["columns"]), ["id: Int64", "s: Str", "bin: Binary", "n: Int32"]);
    assert_eq!(strings(&json["rows"][0]), ["Int64(-1)", "Str(\"spin1\")", "Binary([7])", "DbNull"]);
    let (status, body) = call(&kiln, "/mysql1", MYSQL_URL, &unique_table("my1"));
    assert_eq!(status, 200, "{body}");
    let json = rows(&body);
    assert_eq!(strings(&json["columns"]), ["id: Uint64", "s: Str", "n: Int32"]);
    assert_eq!(strings(&json["rows"][0]), ["Uint64(7)", "Str(\"spin1\")", "DbNull"]);
}

#[test]
fn databases_not_in_allowed_outbound_hosts_are_denied() {
    // No connection is attempted, so no server is needed; the other
    // database's grant and a wrong port do not count.
    let dir = app_dir(&manifest(&["mysql://127.0.0.1:3307", "postgres://127.0.0.1:5433"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    for route in ["/pg2", "/pg3", "/pg4"] {
        let (status, body) = call(&kiln, route, PG_URL, &unique_table("denied"));
        assert_eq!(status, 500, "{route}: {body}");
        assert!(body.starts_with("error: Error::ConnectionFailed("), "{route}: {body}");
        assert!(body.contains("not allowed"), "{route}: {body}");
    }
    // Spin 1 names the address in each call; the error type is its own.
    for (route, address, error) in [("/pg1", PG_URL, "PgError"), ("/mysql1", MYSQL_URL, "MysqlError")] {
        let (status, body) = call(&kiln, route, address, &unique_table("denied"));
        assert_eq!(status, 500, "{route}: {body}");
        assert!(body.starts_with(&format!("error: {error}::ConnectionFailed(")), "{route}: {body}");
        assert!(body.contains("not allowed"), "{route}: {body}");
    }
    let (status, body) = call(&kiln, "/mysql", MYSQL_URL, &unique_table("denied"));
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: Error::ConnectionFailed("), "{body}");
    assert!(body.contains("not allowed"), "{body}");
}

#[test]
fn no_allowed_outbound_hosts_denies_every_database() {
    let dir = app_dir(&manifest(&[]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = call(&kiln, "/pg4", PG_URL, "unused");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("ConnectionFailed") && body.contains("not allowed"), "{body}");
    let (status, body) = call(&kiln, "/mysql", MYSQL_URL, "unused");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("ConnectionFailed") && body.contains("not allowed"), "{body}");
}

#[test]
fn tls_demands_fail_with_connection_failed_and_plain_connections_still_work() {
    if !service_available("PostgreSQL", POSTGRES) || !service_available("MariaDB", MYSQL) {
        return;
    }
    let dir = app_dir(&manifest(&["postgres://127.0.0.1:5432", "mysql://127.0.0.1:3306"]), &[]);
    let kiln = Kiln::up(dir.path(), &[]);
    // PostgreSQL's TLS (if it has any) cannot be verified without a CA root:
    // the snakeoil certificate is self-signed, and names `localhost`.
    for route in ["/pg2", "/pg4"] {
        let (status, body) = call(&kiln, route, &format!("{PG_URL}?sslmode=verify-full"), &unique_table("tls"));
        assert_eq!(status, 500, "{route}: {body}");
        assert!(body.starts_with("error: Error::ConnectionFailed("), "{route}: {body}");
    }
    // The local MariaDB has no TLS.
    for option in ["require_ssl=true", "ssl-mode=REQUIRED"] {
        let (status, body) = call(&kiln, "/mysql", &format!("{MYSQL_URL}?{option}"), &unique_table("tls"));
        assert_eq!(status, 500, "{option}: {body}");
        assert!(body.starts_with("error: Error::ConnectionFailed("), "{option}: {body}");
    }
    let (status, body) = call(&kiln, "/pg4", &format!("{PG_URL}?sslmode=disable"), &unique_table("plain"));
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&kiln, "/mysql", &format!("{MYSQL_URL}?ssl-mode=DISABLED"), &unique_table("plain"));
    assert_eq!(status, 200, "{body}");
}
