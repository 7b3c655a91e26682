//! Preview 3 outbound PostgreSQL end to end: the `spin-rust-p3-pg` guest
//! (Rust `spin-sdk` 7.0.0, importing `spin:postgres/postgres@4.2.0` and
//! calling its `async func`s) served by `kiln up` against the local
//! PostgreSQL server (database `test`), denied when `allowed_outbound_hosts`
//! does not list the server, and connecting over TLS with a CA root it
//! passes through `connection-builder`.

mod common;


use common::*;

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Debian's self-signed certificate (for `localhost`), which PostgreSQL
/// serves by default when its TLS is on.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

fn app(allowed: &[&str]) -> tempfile::TempDir {
    app_dir(&one_route_app("p3-pg", "pg", guest("spin_rust_p3_pg.wasm"), &allowed_hosts(allowed)), &[])
}

/// A table name no other test run uses.
fn unique_table(prefix: &str) -> String {
    kiln_test_support::unique_table(&format!("kiln_{prefix}"))
}

#[test]
fn preview_3_postgres_executes_and_queries_with_typed_parameters() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve(app(&["postgres://127.0.0.1:5432"]));
    let (status, body) = get_with_query(&kiln, "/pg", &[("address", PG_URL), ("table", &unique_table("p3pg"))]);
    assert_eq!(status, 200, "{body}");
    let json = json(&body);
    assert_eq!(json["affected"], serde_json::json!([1, 1]));
    assert_eq!(
        wit_strings(&json["columns"]),
        ["id: Int32", "name: Str", "big: Int64", "ok: Boolean", "score: Floating64", "u: Uuid", "j: Jsonb"]
    );
    assert_eq!(
        wit_strings(&json["rows"][0]),
        [
            "Int32(1)",
            "Str(\"one\")",
            "Int64(-9000000000)",
            "Boolean(true)",
            "Floating64(2.5)",
            "Uuid(\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\")",
            &format!("Jsonb({:?})", br#"{"k":[1,2]}"#.to_vec()),
        ]
    );
    assert_eq!(
        wit_strings(&json["rows"][1]),
        ["Int32(2)", "Str(\"two\")", "DbNull", "Boolean(false)", "DbNull", "DbNull", "DbNull"]
    );
}

#[test]
fn preview_3_postgres_reports_structured_query_errors() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve(app(&["postgres://127.0.0.1:5432"]));
    let (status, body) = get_with_query(&kiln, "/pg-error", &[("address", PG_URL), ("table", &unique_table("missing"))]);
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: PgError(Error::QueryFailed(QueryError::DbError("), "{body}");
    assert!(body.contains("code: \"42P01\""), "{body}");
}

#[test]
fn preview_3_postgres_is_denied_unless_allowed() {
    // No connection is attempted, so no server is needed.
    for allowed in [&[][..], &["postgres://127.0.0.1:5433", "mysql://127.0.0.1:5432"][..]] {
        let kiln = serve(app(allowed));
        for route in ["/pg", "/pg-builder"] {
            let (status, body) = get_with_query(&kiln, route, &[("address", PG_URL), ("table", "unused")]);
            assert_eq!(status, 500, "{allowed:?} {route}: {body}");
            assert!(body.starts_with("error: PgError(Error::ConnectionFailed("), "{allowed:?} {route}: {body}");
            assert!(body.contains("not allowed"), "{allowed:?} {route}: {body}");
        }
    }
}

/// TLS through `connection-builder.build-async`: the CA root the guest sets
/// is trusted for `verify-full`; without it, or with the wrong host name,
/// the connection is refused with `connection-failed`; a CA root that is not
/// PEM is refused by `set-ca-root`.
#[test]
fn preview_3_postgres_tls_with_a_ca_root() {
    require!(kiln_test_support::POSTGRES);
    let kiln = serve(app(&["postgres://127.0.0.1:5432", "postgres://localhost:5432"]));
    let (status, body) = get_with_query(&kiln, "/pg-builder", &[("address", PG_URL), ("ca", "not a certificate")]);
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: PgError(Error::Other(\"invalid CA root certificate"), "{body}");

    let by_name = "postgres://postgres@localhost:5432/test";
    let (status, body) = get_with_query(&kiln, "/pg-builder", &[("address", &format!("{by_name}?sslmode=require"))]);
    if status != 200 {
        // The server has no TLS: demanding it is a connection error.
        assert!(body.starts_with("error: PgError(Error::ConnectionFailed("), "{body}");
        assert!(body.contains("TLS"), "{body}");
        eprintln!("SKIPPED (CA-root part): the local PostgreSQL has no TLS");
        return;
    }
    assert_eq!(body, "ok");
    let verify_full = format!("{by_name}?sslmode=verify-full");
    let (status, body) = get_with_query(&kiln, "/pg-builder", &[("address", &verify_full)]);
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: PgError(Error::ConnectionFailed("), "{body}");
    assert!(body.contains("certificate"), "{body}");
    let Ok(ca) = std::fs::read_to_string(SNAKEOIL) else {
        eprintln!("SKIPPED (CA-root part): the server's certificate {SNAKEOIL} is not readable");
        return;
    };
    assert_eq!(get_with_query(&kiln, "/pg-builder", &[("address", &verify_full), ("ca", &ca)]), (200, "ok".to_string()));
    // The certificate names `localhost`, not the address.
    let by_address = format!("{PG_URL}?sslmode=verify-full");
    let (status, body) = get_with_query(&kiln, "/pg-builder", &[("address", &by_address), ("ca", &ca)]);
    assert_eq!(status, 500, "{body}");
    assert!(body.starts_with("error: PgError(Error::ConnectionFailed("), "{body}");
}
