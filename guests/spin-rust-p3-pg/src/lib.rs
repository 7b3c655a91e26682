//! Kiln test guest: outbound PostgreSQL through the Rust `spin-sdk` 7.0.0
//! (Preview 3), which imports `spin:postgres/postgres@4.2.0` and calls its
//! `async func`s (`open-async`, `query-async`, `execute-async`,
//! `connection-builder.build-async`).
//!
//! * `GET /pg?address=…&table=…` creates `table`, inserts two rows with typed
//!   parameters (`execute`, each must affect one row), queries them back with
//!   a parameter (`query`, rows streamed), drops the table and answers JSON
//!   `{"affected":[1,1],"columns":[…],"rows":[[…],[…]]}` whose values are the
//!   SDK's `Debug` strings.
//! * `GET /pg-error?address=…&table=…` selects from a table that does not
//!   exist: the answer is the structured query error.
//! * `GET /pg-builder?address=…&ca=…` opens through `connection-builder`,
//!   with `ca` (PEM text) as the CA root when given, and answers `ok` after a
//!   `SELECT 1`.
//!
//! An SDK error answers `500 error: {e:?}` (e.g.
//! `PgError(Error::ConnectionFailed(…))`), a malformed request 400.

use bytes::Bytes;
use spin_sdk::http::{BoxBody, FullBody, IntoResponse, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;
use spin_sdk::pg::{Certificate, Connection, DbValue, Error, OpenOptions, ParameterValue};

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let query = req.uri().query().unwrap_or_default().to_string();
    let Some(address) = param(&query, "address") else {
        return text(400, "address is required".to_string());
    };
    let table = param(&query, "table").unwrap_or_default();
    let outcome = match req.uri().path() {
        "/pg" => round_trip(&address, &table).await,
        "/pg-error" => missing_table(&address, &table).await,
        "/pg-builder" => builder(&address, param(&query, "ca")).await,
        _ => return text(404, "not found".to_string()),
    };
    match outcome {
        Ok(body) => text(200, body),
        Err(e) => text(500, format!("error: {e:?}")),
    }
}

async fn round_trip(address: &str, table: &str) -> Result<String, Error> {
    let db = Connection::open(address).await?;
    db.execute(
        format!(
            "CREATE TABLE {table} (id INT NOT NULL, name TEXT NOT NULL, big BIGINT, ok BOOLEAN, \
             score DOUBLE PRECISION, u UUID, j JSONB)"
        ),
        vec![],
    )
    .await?;
    let insert = format!("INSERT INTO {table} (id, name, big, ok, score, u, j) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    let first = db
        .execute(
            insert.as_str(),
            vec![
                ParameterValue::Int32(1),
                ParameterValue::Str("one".to_string()),
                ParameterValue::Int64(-9_000_000_000),
                ParameterValue::Boolean(true),
                ParameterValue::Floating64(2.5),
                ParameterValue::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".to_string()),
                ParameterValue::Jsonb(br#"{"k":[1,2]}"#.to_vec()),
            ],
        )
        .await?;
    let second = db
        .execute(
            insert.as_str(),
            vec![
                ParameterValue::Int32(2),
                ParameterValue::Str("two".to_string()),
                ParameterValue::DbNull,
                ParameterValue::Boolean(false),
                ParameterValue::DbNull,
                ParameterValue::DbNull,
                ParameterValue::DbNull,
            ],
        )
        .await?;
    let result = db
        .query(
            format!("SELECT id, name, big, ok, score, u, j FROM {table} WHERE id >= $1 ORDER BY id"),
            vec![ParameterValue::Int32(0)],
        )
        .await?;
    let columns: Vec<String> =
        result.columns().iter().map(|c| json_string(&format!("{}: {:?}", c.name, c.data_type))).collect();
    let rows = result.collect().await?;
    let rows: Vec<String> = (0..rows.len())
        .map(|i| {
            let row = &rows[i];
            let values: Vec<String> = (0..columns.len()).map(|c| json_string(&format!("{:?}", row[c]))).collect();
            format!("[{}]", values.join(","))
        })
        .collect();
    db.execute(format!("DROP TABLE {table}"), vec![]).await?;
    Ok(format!(
        r#"{{"affected":[{first},{second}],"columns":[{}],"rows":[{}]}}"#,
        columns.join(","),
        rows.join(",")
    ))
}

async fn missing_table(address: &str, table: &str) -> Result<String, Error> {
    let db = Connection::open(address).await?;
    let result = db.query(format!("SELECT * FROM {table}"), vec![]).await?;
    let rows = result.collect().await?;
    Ok(format!("{} rows", rows.len()))
}

async fn builder(address: &str, ca: Option<String>) -> Result<String, Error> {
    let options = OpenOptions { ca_root: ca.map(Certificate::Text) };
    let db = Connection::open_with_options(address, options).await?;
    let rows = db.query("SELECT 1", vec![]).await?.collect().await?;
    match rows.first().map(|row| &row[0]) {
        Some(DbValue::Int32(1)) => Ok("ok".to_string()),
        other => Ok(format!("unexpected: {other:?}")),
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn text(status: u16, body: String) -> anyhow::Result<Response<BoxBody>> {
    Ok(Response::builder()
        .status(StatusCode::from_u16(status)?)
        .header("content-type", "text/plain")
        .body(box_body(FullBody::new(Bytes::from(body))))?)
}

/// The percent-decoded value of query parameter `name`.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key) == name).then(|| decode(value))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
