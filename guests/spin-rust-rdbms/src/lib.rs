//! Kiln test guest: outbound PostgreSQL and MySQL through the Rust
//! `spin-sdk` 5.2.0, one route per interface version.
//!
//! Each route takes a JSON body `{"address": "...", "table": "..."}`,
//! creates the table, inserts one row with a parameter of every type the
//! interface has, reads it back and drops the table. The reply is JSON:
//! `{"affected": …, "columns": ["name: DataType", …], "rows": [["Int32(1)",
//! …]]}`, each value in its `Debug` form so a test sees exactly which
//! variant the host returned. SDK errors become `500 error: {err:?}`.
//!
//! | route | interface |
//! |---|---|
//! | `POST /pg2` | `fermyon:spin/postgres@2.0.0` |
//! | `POST /pg3` | `spin:postgres/postgres@3.0.0` |
//! | `POST /pg4` | `spin:postgres/postgres@4.0.0` |
//! | `POST /pg4-bad-param` | 4.0.0 with a malformed UUID parameter |
//! | `POST /pg4-query-error` | 4.0.0 querying a missing table |
//! | `POST /mysql` | `fermyon:spin/mysql@2.0.0` |
//! | `POST /mysql-query` | 2.0.0 running `SELECT * FROM {table}`: `"N rows"` |
//! | `POST /pg1` / `POST /mysql1` | Spin 1 `fermyon:spin/postgres` / `fermyon:spin/mysql` |

use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use spin_sdk::wit::pg3;
use spin_sdk::wit::pg4;
use spin_sdk::wit::v2::{mysql, postgres, rdbms_types as rdbms};

/// Bindings for Spin 1's unversioned interfaces, which the SDK lacks.
mod spin1 {
    spin_sdk::wit_bindgen::generate!({
        world: "spin1",
        path: "wit",
        runtime_path: "spin_sdk::wit_bindgen::rt",
        generate_all,
    });
}

use spin1::fermyon::spin::{mysql as mysql1, postgres as pg1, rdbms_types as rdbms1};

#[derive(Deserialize)]
struct Target {
    address: String,
    table: String,
}

#[http_component]
fn handle(req: Request) -> Response {
    let target: Target = match serde_json::from_slice(req.body()) {
        Ok(target) => target,
        Err(e) => return Response::new(400, format!("bad body: {e}")),
    };
    let result = match req.path() {
        "/pg2" => pg2(&target),
        "/pg3" => pg3_round_trip(&target),
        "/pg4" => pg4_round_trip(&target),
        "/pg4-bad-param" => pg4_bad_param(&target),
        "/pg4-query-error" => pg4_query_error(&target),
        "/mysql" => mysql_round_trip(&target),
        "/mysql-query" => mysql_query(&target),
        "/pg1" => pg1_round_trip(&target),
        "/mysql1" => mysql1_round_trip(&target),
        other => return Response::new(404, format!("no route {other}")),
    };
    match result {
        Ok(json) => {
            Response::builder().status(200).header("content-type", "application/json").body(json.to_string()).build()
        }
        Err(e) => Response::new(500, format!("error: {e}")),
    }
}

fn reply<C: std::fmt::Debug, V: std::fmt::Debug>(
    affected: impl std::fmt::Debug,
    columns: impl Iterator<Item = (String, C)>,
    rows: &[Vec<V>],
) -> serde_json::Value {
    serde_json::json!({
        "affected": format!("{affected:?}"),
        "columns": columns.map(|(name, ty)| format!("{name}: {ty:?}")).collect::<Vec<_>>(),
        "rows": rows
            .iter()
            .map(|row| row.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>())
            .collect::<Vec<_>>(),
    })
}

fn pg2(t: &Target) -> Result<serde_json::Value, String> {
    use rdbms::ParameterValue as P;
    let err = |e: rdbms::Error| format!("{e:?}");
    let conn = postgres::Connection::open(&t.address).map_err(err)?;
    let table = &t.table;
    conn.execute(
        &format!(
            "CREATE TABLE {table} (id int4 PRIMARY KEY, b bool, i16 int2, i32 int4, i64 int8, \
             f32 float4, f64 float8, s text, bin bytea, n text)"
        ),
        &[],
    )
    .map_err(err)?;
    let affected = conn
        .execute(
            &format!("INSERT INTO {table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[
                P::Int32(1),
                P::Boolean(true),
                P::Int16(-16),
                P::Int32(-32),
                P::Int64(-64),
                P::Floating32(1.5),
                P::Floating64(2.25),
                P::Str("héllo".into()),
                P::Binary(vec![0, 1, 255]),
                P::DbNull,
            ],
        )
        .map_err(err)?;
    let rows = conn.query(&format!("SELECT * FROM {table} WHERE id = $1"), &[P::Int32(1)]);
    conn.execute(&format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply(affected, rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}

fn pg3_round_trip(t: &Target) -> Result<serde_json::Value, String> {
    use pg3::ParameterValue as P;
    let err = |e: pg3::Error| format!("{e:?}");
    let conn = pg3::Connection::open(&t.address).map_err(err)?;
    let table = &t.table;
    conn.execute(
        &format!(
            "CREATE TABLE {table} (id int4 PRIMARY KEY, b bool, i16 int2, i64 int8, f64 float8, \
             s text, bin bytea, d date, tm time, dt timestamp, ts timestamptz, n int4)"
        ),
        &[],
    )
    .map_err(err)?;
    let affected = conn
        .execute(
            &format!("INSERT INTO {table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            &[
                P::Int32(1),
                P::Boolean(false),
                P::Int16(16),
                P::Int64(i64::MAX),
                P::Floating64(-0.5),
                P::Str("pg3".into()),
                P::Binary(vec![]),
                P::Date((2024, 2, 29)),
                P::Time((13, 14, 15, 500_000_000)),
                P::Datetime((2001, 9, 9, 1, 46, 40, 0)),
                P::Timestamp(1_000_000_000),
                P::DbNull,
            ],
        )
        .map_err(err)?;
    let rows = conn.query(&format!("SELECT * FROM {table}"), &[]);
    conn.execute(&format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply(affected, rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}

fn pg4_round_trip(t: &Target) -> Result<serde_json::Value, String> {
    use pg4::ParameterValue as P;
    use pg4::RangeBoundKind::{Exclusive, Inclusive};
    let err = |e: pg4::Error| format!("{e:?}");
    let conn = pg4::Connection::open(&t.address).map_err(err)?;
    let table = &t.table;
    conn.execute(
        &format!(
            "CREATE TABLE {table} (id int4 PRIMARY KEY, s text, d date, u uuid, j jsonb, dec numeric, \
             r4 int4range, r8 int8range, rn numrange, a4 int4[], a8 int8[], an numeric[], \
             at text[], iv interval, n uuid)"
        ),
        &[],
    )
    .map_err(err)?;
    let affected = conn
        .execute(
            &format!("INSERT INTO {table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"),
            &[
                P::Int32(1),
                P::Str("pg4".into()),
                P::Date((1999, 12, 31)),
                P::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
                P::Jsonb(br#"{"k":[1,2]}"#.to_vec()),
                P::Decimal("12345.678".into()),
                P::RangeInt32((Some((1, Inclusive)), Some((10, Exclusive)))),
                P::RangeInt64((Some((5, Inclusive)), None)),
                P::RangeDecimal((Some(("1.5".into(), Inclusive)), Some(("2.5".into(), Inclusive)))),
                P::ArrayInt32(vec![Some(1), None, Some(3)]),
                P::ArrayInt64(vec![Some(i64::MIN)]),
                P::ArrayDecimal(vec![Some("0.1".into()), None]),
                P::ArrayStr(vec![Some("a".into()), None, Some("c".into())]),
                P::Interval(pg4::Interval { micros: 1_500_000, days: 2, months: 3 }),
                P::DbNull,
            ],
        )
        .map_err(err)?;
    let rows = conn.query(&format!("SELECT * FROM {table}"), &[]);
    conn.execute(&format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply(affected, rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}

fn pg4_bad_param(t: &Target) -> Result<serde_json::Value, String> {
    let err = |e: pg4::Error| format!("{e:?}");
    let conn = pg4::Connection::open(&t.address).map_err(err)?;
    conn.query("SELECT $1::uuid", &[pg4::ParameterValue::Uuid("not-a-uuid".into())]).map_err(err)?;
    Ok(serde_json::json!("unexpected success"))
}

fn pg4_query_error(t: &Target) -> Result<serde_json::Value, String> {
    let err = |e: pg4::Error| format!("{e:?}");
    let conn = pg4::Connection::open(&t.address).map_err(err)?;
    conn.query(&format!("SELECT * FROM {}", t.table), &[]).map_err(err)?;
    Ok(serde_json::json!("unexpected success"))
}

/// `SELECT * FROM {table}`: the table may be a subquery, so tests run any
/// `SELECT` through the guest (big results, slow statements).
fn mysql_query(t: &Target) -> Result<serde_json::Value, String> {
    let err = |e: rdbms::Error| format!("{e:?}");
    let conn = mysql::Connection::open(&t.address).map_err(err)?;
    let rows = conn.query(&format!("SELECT * FROM {}", t.table), &[]).map_err(err)?;
    Ok(serde_json::json!(format!("{} rows", rows.rows.len())))
}

fn mysql_round_trip(t: &Target) -> Result<serde_json::Value, String> {
    use rdbms::ParameterValue as P;
    let err = |e: rdbms::Error| format!("{e:?}");
    let conn = mysql::Connection::open(&t.address).map_err(err)?;
    let table = &t.table;
    conn.execute(
        &format!(
            "CREATE TABLE {table} (id INT PRIMARY KEY, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, \
             u8 TINYINT UNSIGNED, u16 SMALLINT UNSIGNED, u32 INT UNSIGNED, u64 BIGINT UNSIGNED, \
             f32 FLOAT, f64 DOUBLE, s VARCHAR(100), bin BLOB, d DATE, n VARCHAR(10))"
        ),
        &[],
    )
    .map_err(err)?;
    conn.execute(
        &format!("INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        &[
            P::Int32(1),
            P::Int8(-8),
            P::Int16(-16),
            P::Int32(-32),
            P::Int64(i64::MIN),
            P::Uint8(255),
            P::Uint16(65535),
            P::Uint32(u32::MAX),
            P::Uint64(u64::MAX),
            P::Floating32(1.5),
            P::Floating64(2.25),
            P::Str("héllo".into()),
            P::Binary(vec![0, 1, 255]),
            P::Str("2024-02-29".into()),
            P::DbNull,
        ],
    )
    .map_err(err)?;
    let rows = conn.query(&format!("SELECT * FROM {table} WHERE id = ?"), &[P::Int32(1)]);
    conn.execute(&format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply((), rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}

fn pg1_round_trip(t: &Target) -> Result<serde_json::Value, String> {
    use rdbms1::ParameterValue as P;
    let err = |e: pg1::PgError| format!("{e:?}");
    let (address, table) = (&t.address, &t.table);
    pg1::execute(address, &format!("CREATE TABLE {table} (id int8, s text, bin bytea, n int4)"), &[]).map_err(err)?;
    let affected = pg1::execute(
        address,
        &format!("INSERT INTO {table} VALUES ($1, $2, $3, $4)"),
        &[P::Int64(-1), P::Str("spin1".into()), P::Binary(vec![7]), P::DbNull],
    )
    .map_err(err)?;
    let rows = pg1::query(address, &format!("SELECT * FROM {table}"), &[]);
    pg1::execute(address, &format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply(affected, rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}

fn mysql1_round_trip(t: &Target) -> Result<serde_json::Value, String> {
    use rdbms1::ParameterValue as P;
    let err = |e: mysql1::MysqlError| format!("{e:?}");
    let (address, table) = (&t.address, &t.table);
    mysql1::execute(address, &format!("CREATE TABLE {table} (id BIGINT UNSIGNED, s TEXT, n INT)"), &[]).map_err(err)?;
    mysql1::execute(
        address,
        &format!("INSERT INTO {table} VALUES (?, ?, ?)"),
        &[P::Uint64(7), P::Str("spin1".into()), P::DbNull],
    )
    .map_err(err)?;
    let rows = mysql1::query(address, &format!("SELECT * FROM {table}"), &[]);
    mysql1::execute(address, &format!("DROP TABLE {table}"), &[]).map_err(err)?;
    let rows = rows.map_err(err)?;
    Ok(reply((), rows.columns.into_iter().map(|c| (c.name, c.data_type)), &rows.rows))
}
