//! `spin:sqlite/sqlite@3.1.0`: `POST /sql/{db}` through the SDK's async API
//! (`open-async`, `execute-async` with its row stream, `changes-async`,
//! `last-insert-rowid-async`), `POST /sql-sync/{db}` through the 3.0.0
//! synchronous functions of the SDK's generated bindings.
//!
//! A request body is the statement on its first line, then one parameter
//! per line: `integer:N`, `real:X`, `text:S`, `blob:HEX` or `null`. The
//! answer is the column names on one line, each row's values (written like
//! parameters) on one line each, tab-separated, and a last line
//! `changes=N last_insert_rowid=M`.

use spin_sdk::sqlite::wit::sqlite as raw;
use spin_sdk::sqlite::{Connection, RowResult, Value};

use crate::Routed;
use crate::reply::{sdk_error, text};

/// A parsed request body: the statement and its parameters.
fn parse(body: &str) -> Result<(String, Vec<Value>), String> {
    let mut lines = body.lines();
    let statement = lines.next().unwrap_or_default().to_string();
    let params = lines
        .filter(|l| !l.is_empty())
        .map(parse_value)
        .collect::<Result<_, _>>()?;
    Ok((statement, params))
}

fn parse_value(line: &str) -> Result<Value, String> {
    let (kind, payload) = line.split_once(':').unwrap_or((line, ""));
    Ok(match kind {
        "integer" => Value::Integer(payload.parse().map_err(|e| format!("{line}: {e}"))?),
        "real" => Value::Real(payload.parse().map_err(|e| format!("{line}: {e}"))?),
        "text" => Value::Text(payload.to_string()),
        "blob" => Value::Blob(
            (0..payload.len())
                .step_by(2)
                .map(|i| {
                    payload
                        .get(i..i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                })
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{line}: bad hex"))?,
        ),
        "null" => Value::Null,
        _ => return Err(format!("unknown parameter {line:?}")),
    })
}

fn show(value: &Value) -> String {
    match value {
        Value::Integer(i) => format!("integer:{i}"),
        Value::Real(r) => format!("real:{r}"),
        Value::Text(t) => format!("text:{t}"),
        Value::Blob(b) => format!(
            "blob:{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
        Value::Null => "null".to_string(),
    }
}

fn answer(columns: &[String], rows: &[RowResult], changes: u64, rowid: i64) -> String {
    let mut lines = vec![columns.join("\t")];
    lines.extend(
        rows.iter()
            .map(|row| row.values.iter().map(show).collect::<Vec<_>>().join("\t")),
    );
    lines.push(format!("changes={changes} last_insert_rowid={rowid}"));
    lines.join("\n")
}

/// `POST /sql/{db}` with the SDK's async API, reading rows off the stream.
pub async fn execute_async(db: &str, body: &str) -> Routed {
    let (statement, params) = match parse(body) {
        Ok(parsed) => parsed,
        Err(e) => return text(400, e),
    };
    let conn = match Connection::open(db).await {
        Ok(conn) => conn,
        Err(e) => return sdk_error(e),
    };
    let mut result = match conn.execute(&statement, params).await {
        Ok(result) => result,
        Err(e) => return sdk_error(e),
    };
    let columns = result.columns().to_vec();
    let mut rows = Vec::new();
    while let Some(row) = result.next().await {
        rows.push(row);
    }
    if let Err(e) = result.result().await {
        return sdk_error(e);
    }
    let (changes, rowid) = (conn.changes().await, conn.last_insert_rowid().await);
    text(200, answer(&columns, &rows, changes, rowid))
}

/// `POST /sql-sync/{db}` with the synchronous 3.0.0 functions.
pub fn execute_sync(db: &str, body: &str) -> Routed {
    let (statement, params) = match parse(body) {
        Ok(parsed) => parsed,
        Err(e) => return text(400, e),
    };
    let conn = match raw::Connection::open(db) {
        Ok(conn) => conn,
        Err(e) => return sdk_error(e),
    };
    let result = match conn.execute(&statement, &params) {
        Ok(result) => result,
        Err(e) => return sdk_error(e),
    };
    text(
        200,
        answer(
            &result.columns,
            &result.rows,
            conn.changes(),
            conn.last_insert_rowid(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_and_print_alike() {
        let (statement, params) =
            parse("SELECT ?\ninteger:-3\nreal:2.5\ntext:a b\nblob:00ff\nnull\n").unwrap();
        assert_eq!(statement, "SELECT ?");
        let shown: Vec<String> = params.iter().map(show).collect();
        assert_eq!(
            shown,
            ["integer:-3", "real:2.5", "text:a b", "blob:00ff", "null"]
        );
        assert!(parse("SELECT 1\nblob:0g").is_err());
        assert!(parse("SELECT 1\nwhat:1").is_err());
    }
}
