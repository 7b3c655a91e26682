//! Routes over both SQLite interfaces the SDK reaches:
//! `spin_sdk::sqlite3` binds `spin:sqlite/sqlite@3.0.0` and `spin_sdk::sqlite`
//! binds `fermyon:spin/sqlite@2.0.0`.
//!
//! Both share one JSON value encoding (serde's externally tagged enum:
//! `{"integer": 1}`, `{"real": 1.5}`, `{"text": "x"}`, `{"blob": [1,2]}`,
//! `"null"`), so tests can send the same statement to either interface and
//! compare answers.

use serde::{Deserialize, Serialize};

use crate::reply::{self, sdk_error, Outcome};

/// One SQLite value in the JSON encoding used for parameters and rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonValue {
    /// `{"integer": n}`
    Integer(i64),
    /// `{"real": x}`
    Real(f64),
    /// `{"text": "s"}`
    Text(String),
    /// `{"blob": [bytes]}`
    Blob(Vec<u8>),
    /// `"null"`
    Null,
}

/// Body of `POST /sqlite3/{db}` and `POST /sqlite2/{db}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    /// The SQL statement.
    pub statement: String,
    /// Positional parameters.
    #[serde(default)]
    pub params: Vec<JsonValue>,
}

/// The `@2.0.0` answer: the query result only.
#[derive(Debug, Serialize)]
struct QueryReply {
    columns: Vec<String>,
    rows: Vec<Vec<JsonValue>>,
}

/// The `@3.0.0` answer: the query result plus the connection's counters.
#[derive(Debug, Serialize)]
struct QueryReply3 {
    columns: Vec<String>,
    rows: Vec<Vec<JsonValue>>,
    last_insert_rowid: i64,
    changes: u64,
}

/// Conversions between [`JsonValue`] and one interface's `value` variant;
/// both interfaces declare an identical variant as distinct Rust types.
macro_rules! value_conversions {
    ($value:path) => {
        impl From<JsonValue> for $value {
            fn from(v: JsonValue) -> Self {
                use $value as V;
                match v {
                    JsonValue::Integer(i) => V::Integer(i),
                    JsonValue::Real(f) => V::Real(f),
                    JsonValue::Text(s) => V::Text(s),
                    JsonValue::Blob(b) => V::Blob(b),
                    JsonValue::Null => V::Null,
                }
            }
        }

        impl From<$value> for JsonValue {
            fn from(v: $value) -> Self {
                use $value as V;
                match v {
                    V::Integer(i) => JsonValue::Integer(i),
                    V::Real(f) => JsonValue::Real(f),
                    V::Text(s) => JsonValue::Text(s),
                    V::Blob(b) => JsonValue::Blob(b),
                    V::Null => JsonValue::Null,
                }
            }
        }
    };
}

value_conversions!(spin_sdk::sqlite3::Value);
value_conversions!(spin_sdk::sqlite::Value);

/// `POST /sqlite3/{db}` through `spin:sqlite/sqlite@3.0.0`.
pub fn execute_v3(db: &str, req: ExecuteRequest) -> Outcome {
    use spin_sdk::sqlite3::{Connection, Value};
    let conn = Connection::open(db).map_err(sdk_error)?;
    let params: Vec<Value> = req.params.into_iter().map(Value::from).collect();
    let result = conn.execute(&req.statement, &params).map_err(sdk_error)?;
    let body = QueryReply3 {
        columns: result.columns,
        rows: result
            .rows
            .into_iter()
            .map(|r| r.values.into_iter().map(JsonValue::from).collect())
            .collect(),
        last_insert_rowid: conn.last_insert_rowid(),
        changes: conn.changes(),
    };
    Ok(reply::json(200, &body))
}

/// `POST /sqlite2/{db}` through `fermyon:spin/sqlite@2.0.0`.
pub fn execute_v2(db: &str, req: ExecuteRequest) -> Outcome {
    use spin_sdk::sqlite::{Connection, Value};
    let conn = Connection::open(db).map_err(sdk_error)?;
    let params: Vec<Value> = req.params.into_iter().map(Value::from).collect();
    let result = conn.execute(&req.statement, &params).map_err(sdk_error)?;
    let body = QueryReply {
        columns: result.columns,
        rows: result
            .rows
            .into_iter()
            .map(|r| r.values.into_iter().map(JsonValue::from).collect())
            .collect(),
    };
    Ok(reply::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_value_encoding() {
        let req: ExecuteRequest = serde_json::from_str(
            r#"{"statement": "SELECT ?", "params": [
                {"integer": 1}, {"real": 1.5}, {"text": "x"}, {"blob": [1,2,3]}, "null"]}"#,
        )
        .unwrap();
        assert_eq!(
            req.params,
            vec![
                JsonValue::Integer(1),
                JsonValue::Real(1.5),
                JsonValue::Text("x".into()),
                JsonValue::Blob(vec![1, 2, 3]),
                JsonValue::Null,
            ]
        );
    }

    #[test]
    fn serializes_rows_in_the_same_encoding() {
        let row = vec![JsonValue::Integer(7), JsonValue::Null, JsonValue::Blob(vec![0])];
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"[{"integer":7},"null",{"blob":[0]}]"#
        );
    }

    #[test]
    fn params_default_to_empty_and_unknown_fields_are_rejected() {
        let req: ExecuteRequest = serde_json::from_str(r#"{"statement": "SELECT 1"}"#).unwrap();
        assert!(req.params.is_empty());
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"statement": "", "x": 1}"#).is_err());
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"params": []}"#).is_err());
    }

    #[test]
    fn sdk_values_round_trip() {
        let v = JsonValue::Text("t".into());
        let v3: spin_sdk::sqlite3::Value = v.clone().into();
        let v2: spin_sdk::sqlite::Value = v.clone().into();
        assert_eq!(JsonValue::from(v3), v);
        assert_eq!(JsonValue::from(v2), v);
    }
}
