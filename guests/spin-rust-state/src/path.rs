//! Splitting request paths and query strings into decoded parts.
//!
//! Store names, keys and variable names travel as path segments, so they are
//! percent-decoded here; that lets tests use keys containing `/`, spaces or
//! non-ASCII characters without the router misreading them.

/// Split an absolute path into percent-decoded segments (`/a/b%20c` →
/// `["a", "b c"]`). Fails when a segment is not valid percent-encoded UTF-8.
pub fn segments(path: &str) -> Result<Vec<String>, String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    trimmed.split('/').map(percent_decode).collect()
}

/// The percent-decoded value of the first `name=` parameter in a query
/// string, if any.
pub fn query_param(query: &str, name: &str) -> Result<Option<String>, String> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            return percent_decode(&v.replace('+', " ")).map(Some);
        }
    }
    Ok(None)
}

/// Decode `%XX` escapes; the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, String> {
    let raw = s.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("segment {s:?} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_decodes_segments() {
        assert_eq!(segments("/").unwrap(), Vec::<String>::new());
        assert_eq!(segments("/kv/s/a%20b").unwrap(), vec!["kv", "s", "a b"]);
        assert_eq!(segments("/kv/s/a%2Fb").unwrap(), vec!["kv", "s", "a/b"]);
        assert_eq!(segments("/x/%C3%A9").unwrap(), vec!["x", "é"]);
    }

    #[test]
    fn rejects_bad_escapes() {
        assert!(segments("/kv/%zz").is_err());
        assert!(segments("/kv/%4").is_err());
        assert!(segments("/kv/%ff").is_err());
    }

    #[test]
    fn finds_query_params() {
        assert_eq!(query_param("by=5", "by").unwrap(), Some("5".into()));
        assert_eq!(query_param("a=1&by=-2", "by").unwrap(), Some("-2".into()));
        assert_eq!(query_param("a=1", "by").unwrap(), None);
        assert_eq!(query_param("v=a+b%21", "v").unwrap(), Some("a b!".into()));
    }
}
