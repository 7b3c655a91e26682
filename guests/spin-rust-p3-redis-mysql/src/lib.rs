//! Kiln test guest: outbound Redis through the Rust `spin-sdk` 7.0.0
//! (Preview 3), whose `spin:redis/redis@3.0.0` functions are `async func`s.
//!
//! `GET /redis?address=…&key=…&channel=…` opens a connection to `address`,
//! sets `key` to `hello`, reads it back, increments `key:n` twice and
//! publishes `hi` on `channel`, answering JSON
//! `{"get":"hello","incr":[1,2]}`.
//!
//! Outbound MySQL through `spin:mysql/mysql@3.0.0`: `GET
//! /mysql?address=…&table=…` creates `table` (id INT, name VARCHAR), inserts
//! rows 1 `one` and 2 `two` with parameters, queries them back ordered by id
//! drops the table and answers JSON `[[1,"one"],[2,"two"]]`.
//!
//! An SDK error answers `500 error: {e:?}` (e.g. `Error::InvalidAddress`,
//! `MysqlError(ConnectionFailed(…))`), a malformed request 400.

use bytes::Bytes;
use spin_sdk::http::{BoxBody, FullBody, IntoResponse, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;
use spin_sdk::mysql::{self, DbValue, ParameterValue};
use spin_sdk::redis::{Connection, Error};

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let query = req.uri().query().unwrap_or_default().to_string();
    if req.uri().path() == "/mysql" {
        let (Some(address), Some(table)) = (param(&query, "address"), param(&query, "table")) else {
            return text(400, "address and table are required".to_string());
        };
        return match mysql(&address, &table).await {
            Ok(body) => text(200, body),
            Err(e) => text(500, format!("error: {e:?}")),
        };
    }
    if req.uri().path() != "/redis" {
        return text(404, "not found".to_string());
    }
    let (Some(address), Some(key), Some(channel)) =
        (param(&query, "address"), param(&query, "key"), param(&query, "channel"))
    else {
        return text(400, "address, key and channel are required".to_string());
    };
    match redis(&address, &key, &channel).await {
        Ok(body) => text(200, body),
        Err(e) => text(500, format!("error: {e:?}")),
    }
}

async fn redis(address: &str, key: &str, channel: &str) -> Result<String, Error> {
    let connection = Connection::open(address).await?;
    connection.set(key, b"hello").await?;
    let value = connection.get(key).await?.unwrap_or_default();
    let counter = format!("{key}:n");
    let first = connection.incr(&counter).await?;
    let second = connection.incr(&counter).await?;
    connection.publish(channel, b"hi").await?;
    Ok(format!(
        r#"{{"get":"{}","incr":[{first},{second}]}}"#,
        String::from_utf8_lossy(&value)
    ))
}

async fn mysql(address: &str, table: &str) -> Result<String, mysql::Error> {
    let db = mysql::Connection::open(address).await?;
    db.execute(format!("CREATE TABLE {table} (id INT NOT NULL, name VARCHAR(64) NOT NULL)"), vec![])
        .await?;
    for (id, name) in [(1, "one"), (2, "two")] {
        let params = vec![ParameterValue::Int32(id), ParameterValue::Str(name.to_string())];
        db.execute(format!("INSERT INTO {table} (id, name) VALUES (?, ?)"), params).await?;
    }
    let rows = db
        .query(format!("SELECT id, name FROM {table} WHERE id >= ? ORDER BY id"), vec![ParameterValue::Int32(0)])
        .await?
        .collect()
        .await?;
    let rows: Vec<String> = rows
        .iter()
        .map(|row| format!("[{},{}]", json(&row[0]), json(&row[1])))
        .collect();
    db.execute(format!("DROP TABLE {table}"), vec![]).await?;
    Ok(format!("[{}]", rows.join(",")))
}

/// A database value as JSON (numbers and strings; anything else its debug form).
fn json(value: &DbValue) -> String {
    match value {
        DbValue::Int8(v) => v.to_string(),
        DbValue::Int16(v) => v.to_string(),
        DbValue::Int32(v) => v.to_string(),
        DbValue::Int64(v) => v.to_string(),
        DbValue::Uint8(v) => v.to_string(),
        DbValue::Uint16(v) => v.to_string(),
        DbValue::Uint32(v) => v.to_string(),
        DbValue::Uint64(v) => v.to_string(),
        DbValue::Str(s) => format!("{s:?}"),
        other => format!("{:?}", format!("{other:?}")),
    }
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
