//! Against the local PostgreSQL server (`postgres@127.0.0.1:5432/test`).
//! Outside CI the tests skip when it is not running; with `CI=true` they
//! fail instead.

use std::time::Duration;

use kiln_outbound_pg::{endpoints, BoundKind, Connection, DataType, Error, Interval, Pool, QueryError, Value};
use kiln_test_support::{require, POSTGRES};

const ADDRESS: &str = "postgres://postgres@127.0.0.1:5432/test";

#[test]
fn endpoints_name_every_host_and_port() {
    assert_eq!(endpoints("postgres://u:p@db.example:6543/x").unwrap(), [("db.example".to_string(), 6543)]);
    assert_eq!(endpoints("postgres://u@db.example/x").unwrap(), [("db.example".to_string(), 5432)]);
    assert_eq!(endpoints("host=a,b port=1,2 user=u").unwrap(), [("a".to_string(), 1), ("b".to_string(), 2)]);
    assert!(matches!(endpoints("host=/var/run/postgresql user=u"), Err(Error::ConnectionFailed(_))));
    assert!(matches!(endpoints("user=u"), Err(Error::ConnectionFailed(_))));
    assert!(matches!(endpoints("postgres://u@h:notaport/x"), Err(Error::ConnectionFailed(_))));
}

/// `SELECT $1::ty` returns what was sent, with the right column type.
async fn echo(conn: &dyn Connection, ty: &str, value: Value, data_type: DataType) {
    let rows = conn.query(&format!("SELECT $1::{ty} AS v"), vec![value.clone()]).await.unwrap();
    assert_eq!(rows.columns[0].data_type, data_type, "{ty}");
    assert_eq!(rows.rows, vec![vec![value]], "{ty}");
}

#[tokio::test]
async fn every_value_type_round_trips() {
    require!(POSTGRES);
    let pool = Pool::new();
    let conn = pool.open(ADDRESS).await.unwrap();
    echo(&conn, "bool", Value::Boolean(true), DataType::Boolean).await;
    echo(&conn, "\"char\"", Value::Int8(-3), DataType::Int8).await;
    echo(&conn, "int2", Value::Int16(i16::MIN), DataType::Int16).await;
    echo(&conn, "int4", Value::Int32(i32::MAX), DataType::Int32).await;
    echo(&conn, "int8", Value::Int64(i64::MIN), DataType::Int64).await;
    echo(&conn, "float4", Value::Floating32(0.25), DataType::Floating32).await;
    echo(&conn, "float8", Value::Floating64(-1e300), DataType::Floating64).await;
    echo(&conn, "text", Value::Str("ünïcode".into()), DataType::Str).await;
    echo(&conn, "bytea", Value::Binary(vec![0, 255]), DataType::Binary).await;
    echo(&conn, "date", Value::Date((2024, 2, 29)), DataType::Date).await;
    echo(&conn, "time", Value::Time((23, 59, 58, 123_456_000)), DataType::Time).await;
    echo(&conn, "timestamp", Value::Datetime((1970, 1, 1, 0, 0, 1, 0)), DataType::Datetime).await;
    echo(&conn, "uuid", Value::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()), DataType::Uuid).await;
    echo(&conn, "jsonb", Value::Jsonb(br#"{"a":null}"#.to_vec()), DataType::Jsonb).await;
    echo(&conn, "numeric", Value::Decimal("-0.000123".into()), DataType::Decimal).await;
    let bounds = (Some((-5, BoundKind::Inclusive)), Some((7, BoundKind::Exclusive)));
    echo(&conn, "int4range", Value::RangeInt32(bounds), DataType::RangeInt32).await;
    echo(&conn, "int8range", Value::RangeInt64((None, Some((9, BoundKind::Exclusive)))), DataType::RangeInt64).await;
    let decimal_bounds = (Some(("1.5".to_string(), BoundKind::Exclusive)), None);
    echo(&conn, "numrange", Value::RangeDecimal(decimal_bounds), DataType::RangeDecimal).await;
    echo(&conn, "int4[]", Value::ArrayInt32(vec![Some(1), None]), DataType::ArrayInt32).await;
    echo(&conn, "int8[]", Value::ArrayInt64(vec![None, Some(2)]), DataType::ArrayInt64).await;
    echo(&conn, "numeric[]", Value::ArrayDecimal(vec![Some("3.14".into())]), DataType::ArrayDecimal).await;
    echo(&conn, "text[]", Value::ArrayStr(vec![Some("x".into()), None]), DataType::ArrayStr).await;
    let interval = Interval { micros: -1, days: 3, months: 14 };
    echo(&conn, "interval", Value::Interval(interval), DataType::Interval).await;
    echo(&conn, "text", Value::Null, DataType::Str).await;

    // Seconds since the epoch, as a timestamptz, read back in UTC.
    let rows = conn.query("SELECT $1::timestamptz", vec![Value::Timestamp(86_400)]).await.unwrap();
    assert_eq!(rows.rows[0][0], Value::Datetime((1970, 1, 2, 0, 0, 0, 0)));
    // An empty range and a type without a conversion come back raw.
    let rows = conn.query("SELECT 'empty'::int4range, '1.2.3.4'::inet", vec![]).await.unwrap();
    assert!(matches!(rows.rows[0][0], Value::Unsupported(_)));
    assert!(matches!(rows.rows[0][1], Value::Unsupported(_)));
    assert_eq!(rows.columns[1].data_type, DataType::Other("inet".into()));
}

#[tokio::test]
async fn errors_are_the_interface_cases() {
    require!(POSTGRES);
    let pool = Pool::new();
    let conn = pool.open(ADDRESS).await.unwrap();
    let err = conn.query("SELECT * FROM kiln_no_such_table", vec![]).await.unwrap_err();
    let Error::QueryFailed(QueryError::Db(db)) = err else { panic!("{err:?}") };
    assert_eq!(db.code, "42P01");
    assert_eq!(db.severity, "ERROR");
    // A value that does not fit the placeholder's type is refused.
    let err = conn.query("SELECT $1::text", vec![Value::Int32(1)]).await.unwrap_err();
    assert!(matches!(err, Error::BadParameter(_)), "{err:?}");
    let err = conn.query("SELECT $1::uuid", vec![Value::Uuid("nope".into())]).await.unwrap_err();
    assert!(matches!(err, Error::BadParameter(_)), "{err:?}");
    let err = pool.open("postgres://postgres@127.0.0.1:1/test").await.err().expect("port 1 refuses");
    assert!(matches!(err, Error::ConnectionFailed(_)), "{err:?}");
}

#[tokio::test]
async fn pooled_connections_are_reused_without_open_transactions() {
    require!(POSTGRES);
    let pool = Pool::new();
    let table = format!("kiln_pool_{}", std::process::id());
    let conn = pool.open(ADDRESS).await.unwrap();
    conn.execute(&format!("CREATE TABLE IF NOT EXISTS {table} (v int4)"), vec![]).await.unwrap();
    let pid = conn.query("SELECT pg_backend_pid()", vec![]).await.unwrap().rows;
    // Leave a transaction open with an insert in it.
    conn.execute("BEGIN", vec![]).await.unwrap();
    assert_eq!(conn.execute(&format!("INSERT INTO {table} VALUES ($1)"), vec![Value::Int32(1)]).await.unwrap(), 1);
    drop(conn);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let conn = pool.open(ADDRESS).await.unwrap();
    assert_eq!(conn.query("SELECT pg_backend_pid()", vec![]).await.unwrap().rows, pid, "reused");
    let rows = conn.query(&format!("SELECT count(*) FROM {table}"), vec![]).await.unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Int64(0)]], "the open transaction was rolled back");
    conn.execute(&format!("DROP TABLE {table}"), vec![]).await.unwrap();
}

#[test]
fn verify_modes_are_accepted_addresses() {
    for mode in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
        let address = format!("postgres://u@db.example:6543/x?sslmode={mode}");
        assert_eq!(endpoints(&address).unwrap(), [("db.example".to_string(), 6543)], "{mode}");
    }
    assert!(matches!(endpoints("postgres://u@h/x?sslmode=sometimes"), Err(Error::ConnectionFailed(m)) if m.contains("sslmode")));
}

/// Whether the connection `conn` is encrypted, as the server sees it.
async fn encrypted(conn: &dyn Connection) -> bool {
    let rows = conn.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", vec![]).await.unwrap();
    rows.rows == vec![vec![Value::Boolean(true)]]
}

/// Expects `opened` to be a connection error whose message holds `needle`.
fn refused(opened: Result<kiln_outbound_pg::PgConnection, Error>, needle: &str, what: &str) {
    match opened {
        Err(Error::ConnectionFailed(message)) => assert!(message.contains(needle), "{what}: {message}"),
        Err(other) => panic!("{what}: not a connection error: {other:?}"),
        Ok(_) => panic!("{what}: connected"),
    }
}

/// `sslmode` as libpq means it, against whatever the local server offers:
/// with TLS off, demanding it fails and `prefer` falls back to plain TCP;
/// with TLS on (Debian's default: the self-signed "snakeoil" certificate
/// for `localhost`), `prefer` and `require` encrypt, the `verify-*` modes
/// refuse the unknown issuer until the certificate is given as CA root, and
/// `verify-full` also wants the name to match.
#[tokio::test]
async fn sslmode_against_the_local_server() {
    require!(POSTGRES);
    let pool = Pool::new();
    let plain = pool.open(&format!("{ADDRESS}?sslmode=disable")).await.unwrap();
    assert!(!encrypted(&plain).await, "sslmode=disable");
    let server_tls = plain.query("SHOW ssl", vec![]).await.unwrap().rows == vec![vec![Value::Str("on".into())]];
    drop(plain);
    if !server_tls {
        for mode in ["require", "verify-ca", "verify-full"] {
            refused(pool.open(&format!("{ADDRESS}?sslmode={mode}")).await, "TLS", mode);
        }
        let conn = pool.open(&format!("{ADDRESS}?sslmode=prefer")).await.unwrap();
        assert!(!encrypted(&conn).await, "prefer falls back to plain TCP");
        return;
    }
    for mode in ["prefer", "require"] {
        let conn = pool.open(&format!("{ADDRESS}?sslmode={mode}")).await.unwrap();
        assert!(encrypted(&conn).await, "sslmode={mode}");
    }
    assert!(encrypted(&pool.open(ADDRESS).await.unwrap()).await, "prefer is the default");
    for mode in ["verify-ca", "verify-full"] {
        refused(pool.open(&format!("{ADDRESS}?sslmode={mode}")).await, "certificate", mode);
    }
    let Ok(ca) = std::fs::read_to_string(SNAKEOIL) else {
        eprintln!("SKIPPED (CA-root part): the server's certificate {SNAKEOIL} is not readable");
        return;
    };
    let by_name = "postgres://postgres@localhost:5432/test";
    let conn = pool.open_with_ca_root(&format!("{by_name}?sslmode=verify-full"), Some(&ca)).await.unwrap();
    assert!(encrypted(&conn).await, "verify-full with the CA root");
    let conn = pool.open_with_ca_root(&format!("{ADDRESS}?sslmode=verify-ca"), Some(&ca)).await.unwrap();
    assert!(encrypted(&conn).await, "verify-ca ignores the name");
    refused(
        pool.open_with_ca_root(&format!("{ADDRESS}?sslmode=verify-full"), Some(&ca)).await,
        "certificate",
        "verify-full checks the name",
    );
}

/// Debian's self-signed certificate, which PostgreSQL serves by default.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
#[tokio::test]
async fn a_bad_ca_root_is_refused_before_connecting() {
    assert!(matches!(kiln_outbound_pg::check_ca_root("not PEM"), Err(Error::Other(_))));
    let pool = Pool::new();
    let opened = pool.open_with_ca_root(ADDRESS, Some("not PEM")).await;
    assert!(matches!(opened, Err(Error::ConnectionFailed(m)) if m.contains("CA root")));
}
