//! Against the local MariaDB/MySQL server (`root@127.0.0.1:3306/test`).
//! Outside CI the tests skip when it is not running; with `CI=true` they
//! fail instead.

use kiln_outbound_mysql::{endpoint, Connection, DataType, Error, Pools, Value};
use kiln_test_support::{require, MYSQL};

const ADDRESS: &str = "mysql://root@127.0.0.1:3306/test";

#[test]
fn endpoint_is_host_and_port() {
    assert_eq!(endpoint("mysql://u:p@db.example:3307/x").unwrap(), ("db.example".to_string(), 3307));
    assert_eq!(endpoint("mysql://u@db.example/x").unwrap(), ("db.example".to_string(), 3306));
    assert!(matches!(endpoint("postgres://u@h/x"), Err(Error::ConnectionFailed(_))));
    assert!(matches!(endpoint("not a url"), Err(Error::ConnectionFailed(_))));
}

#[tokio::test]
async fn every_value_type_round_trips() {
    require!(MYSQL);
    let pools = Pools::new();
    let conn = pools.open(ADDRESS).await.unwrap();
    let table = format!("kiln_mysql_{}", std::process::id());
    conn.execute(
        &format!(
            "CREATE TABLE {table} (i8 TINYINT, u8 TINYINT UNSIGNED, i16 SMALLINT, u16 SMALLINT UNSIGNED, \
             i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED, f FLOAT, d DOUBLE, s TEXT, \
             b VARBINARY(10), dc DECIMAL(10,3), dt DATETIME, n INT)"
        ),
        vec![],
    )
    .await
    .unwrap();
    let values = vec![
        Value::Int8(i8::MIN),
        Value::Uint8(u8::MAX),
        Value::Int16(i16::MIN),
        Value::Uint16(u16::MAX),
        Value::Int32(i32::MIN),
        Value::Uint32(u32::MAX),
        Value::Int64(i64::MIN),
        Value::Uint64(u64::MAX),
        Value::Floating32(0.5),
        Value::Floating64(-2.75),
        Value::Str("ünïcode".into()),
        Value::Binary(vec![0, 1, 255]),
        Value::Str("12.345".into()),
        Value::Str("2024-02-29 13:14:15".into()),
        Value::Null,
    ];
    let insert = format!("INSERT INTO {table} VALUES ({})", vec!["?"; values.len()].join(", "));
    conn.execute(&insert, values.clone()).await.unwrap();
    // The binary protocol (with parameters) and the text protocol agree.
    for params in [vec![Value::Int32(1)], vec![]] {
        let where_clause = if params.is_empty() { "" } else { " WHERE 1 = ?" };
        let rows = conn.query(&format!("SELECT * FROM {table}{where_clause}"), params).await.unwrap();
        assert_eq!(rows.rows, vec![values.clone()]);
        let types: Vec<DataType> = rows.columns.iter().map(|c| c.data_type).collect();
        assert_eq!(
            types,
            [
                DataType::Int8,
                DataType::Uint8,
                DataType::Int16,
                DataType::Uint16,
                DataType::Int32,
                DataType::Uint32,
                DataType::Int64,
                DataType::Uint64,
                DataType::Floating32,
                DataType::Floating64,
                DataType::Str,
                DataType::Binary,
                DataType::Other,
                DataType::Other,
                DataType::Int32,
            ]
        );
    }
    conn.execute(&format!("DROP TABLE {table}"), vec![]).await.unwrap();
}

#[tokio::test]
async fn errors_are_the_interface_cases() {
    require!(MYSQL);
    let pools = Pools::new();
    let conn = pools.open(ADDRESS).await.unwrap();
    let err = conn.query("SELECT * FROM kiln_no_such_table", vec![]).await.unwrap_err();
    assert!(matches!(&err, Error::QueryFailed(m) if m.contains("kiln_no_such_table")), "{err:?}");
    let err = conn.query("SELECT ?, ?", vec![Value::Int32(1)]).await.unwrap_err();
    assert!(matches!(err, Error::BadParameter(_)), "{err:?}");
    let err = pools.open("mysql://root@127.0.0.1:1/test").await.err().expect("port 1 refuses");
    assert!(matches!(err, Error::ConnectionFailed(_)), "{err:?}");
}

#[test]
fn ssl_mode_is_spelled_as_mysql_async_options() {
    use kiln_outbound_mysql::translate_ssl_mode;
    let base = "mysql://root@db.example:3306/test";
    assert_eq!(translate_ssl_mode(base).unwrap(), base);
    assert_eq!(translate_ssl_mode(&format!("{base}?ssl-mode=DISABLED")).unwrap(), base);
    assert_eq!(translate_ssl_mode(&format!("{base}?ssl_mode=preferred")).unwrap(), base);
    assert_eq!(
        translate_ssl_mode(&format!("{base}?pool_max=4&ssl-mode=REQUIRED")).unwrap(),
        format!("{base}?pool_max=4&require_ssl=true&verify_ca=false&verify_identity=false")
    );
    assert_eq!(
        translate_ssl_mode(&format!("{base}?ssl-mode=VERIFY_CA")).unwrap(),
        format!("{base}?require_ssl=true&verify_ca=true&verify_identity=false")
    );
    assert_eq!(
        translate_ssl_mode(&format!("{base}?require_ssl=false&ssl-mode=VERIFY_IDENTITY")).unwrap(),
        format!("{base}?require_ssl=true&verify_ca=true&verify_identity=true")
    );
    let err = translate_ssl_mode(&format!("{base}?ssl-mode=SOMETIMES")).unwrap_err();
    assert!(matches!(&err, Error::ConnectionFailed(m) if m.contains("SOMETIMES")), "{err:?}");
    // mysql_async's own options pass through untouched.
    let own = format!("{base}?require_ssl=true");
    assert_eq!(translate_ssl_mode(&own).unwrap(), own);
}

/// Demanding TLS from the local server: it works when the server has TLS
/// (the session then has a cipher), and is a connection error that says so
/// — not a panic — when it has none (MariaDB's default, `have_ssl=DISABLED`).
#[tokio::test]
async fn tls_against_the_local_server() {
    require!(MYSQL);
    let pools = Pools::new();
    let plain = pools.open(ADDRESS).await.unwrap();
    let have_ssl = plain.query("SELECT @@have_ssl", vec![]).await.unwrap().rows;
    let server_tls = have_ssl == vec![vec![Value::Str("YES".into())]];
    drop(plain);
    for option in ["ssl-mode=REQUIRED", "require_ssl=true&verify_ca=false&verify_identity=false"] {
        let opened = pools.open(&format!("{ADDRESS}?{option}")).await;
        if server_tls {
            let conn = opened.unwrap_or_else(|e| panic!("{option}: {e}"));
            let cipher = conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", vec![]).await.unwrap();
            assert_ne!(cipher.rows[0][1], Value::Str(String::new()), "{option}: no cipher");
        } else {
            match opened {
                Err(Error::ConnectionFailed(message)) => assert!(message.contains("SSL"), "{option}: {message}"),
                Err(other) => panic!("{option}: not a connection error: {other:?}"),
                Ok(_) => panic!("{option}: connected without TLS"),
            }
        }
    }
    // Plain connections still work beside them.
    let conn = pools.open(&format!("{ADDRESS}?ssl-mode=DISABLED")).await.unwrap();
    assert_eq!(conn.query("SELECT 1", vec![]).await.unwrap().rows, vec![vec![Value::Int32(1)]]);
}
