//! YAML scalars. A JSON string is a valid YAML double-quoted scalar, so
//! quoting through `serde_json` escapes everything YAML would misread
//! (`: `, `#`, leading `*`, `yes`, numbers, newlines).

/// `s` as a double-quoted YAML scalar.
pub fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
