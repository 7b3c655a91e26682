//! Talking HTTP to a running `kiln up` from sync tests.

use super::Kiln;

/// A blocking HTTP client (no proxy from the environment).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// A tokio runtime for async client calls in sync tests.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}



/// A client that gives up after 60 s rather than hang when a protection
/// is missing.
pub fn patient_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// The status of a GET of `path` with a [`patient_client`].
pub async fn status(kiln: &Kiln, path: &str) -> u16 {
    patient_client().get(kiln.url(path)).send().await.expect("response").status().as_u16()
}

/// Starts a 1 GB response from the `wasi_http_stream` guest on `/stream`
/// and reads its first chunk: until it is dropped, the response holds the
/// instance serving it.
pub async fn hold_stream(client: &reqwest::Client, kiln: &Kiln) -> reqwest::Response {
    let mut resp = client.get(kiln.url("/stream?bytes=1000000000")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.chunk().await.unwrap().expect("first chunk");
    resp
}

/// `text` percent-encoded for a query string: every byte but the unreserved
/// ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks the Rust SDK guests' answer to `/hello`: 200, `Hello, Kiln!`,
/// and only the guest's headers (`content-type: text/plain`,
/// `x-kiln-test: hello`) plus framing and `date`: no `server` header. The
/// SDK sets no content-length, so the body may go out chunked.
pub async fn assert_hello(resp: reqwest::Response) {
    assert_eq!(resp.status(), 200);
    let mut names: Vec<String> = resp.headers().keys().map(|k| k.to_string()).collect();
    names.sort();
    let framing = if names.contains(&"content-length".to_string()) { "content-length" } else { "transfer-encoding" };
    let mut expected = vec![framing, "content-type", "date", "x-kiln-test"];
    expected.sort();
    assert_eq!(names, expected, "{:?}", resp.headers());
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["x-kiln-test"], "hello");
    assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");
}

/// A GET of `path` with the `query` pairs: (status, body).
pub async fn query(kiln: &Kiln, path: &str, query: &[(&str, &str)]) -> (u16, String) {
    let resp = client().get(kiln.url(path)).query(query).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// [`query`] from sync code.
pub fn get_with_query(kiln: &Kiln, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    rt().block_on(query(kiln, path, pairs))
}

/// `body` parsed as JSON (the failure shows it).
pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The strings of a JSON array the rdbms guests answer (`Debug` texts of
/// values and types), without wit-bindgen's `DbValue::` / `DbDataType::`
/// prefixes.
pub fn wit_strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").replace("DbValue::", "").replace("DbDataType::", ""))
        .collect()
}

/// POSTs `{address, table}` (what the rdbms guests take) to `route`:
/// (status, body).
pub async fn post_database(kiln: &Kiln, route: &str, address: &str, table: &str) -> (u16, String) {
    let body = serde_json::json!({ "address": address, "table": table }).to_string();
    let resp = client().post(kiln.url(route)).body(body).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}
