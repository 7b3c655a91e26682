//! The `spin-*` request headers Spin adds for the guest, describing how the
//! request was routed, and the stripping of client-sent ones.
//!
//! Clients must not be able to spoof these headers, so the server removes
//! every incoming header whose name starts with `spin-`
//! ([`strip_client_spin_headers`]) before adding its own ([`spin_headers`]).

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, HeaderValue};

/// The full URL of the request, scheme and authority included.
pub const FULL_URL: HeaderName = HeaderName::from_static("spin-full-url");
/// The request path below the component route (trailing wildcards only).
pub const PATH_INFO: HeaderName = HeaderName::from_static("spin-path-info");
/// The route text that matched, wildcard included.
pub const MATCHED_ROUTE: HeaderName = HeaderName::from_static("spin-matched-route");
/// The application base path (always `/` since Spin 3).
pub const BASE_PATH: HeaderName = HeaderName::from_static("spin-base-path");
/// The route text of the component, wildcard included.
pub const RAW_COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-raw-component-route");
/// The component route without its trailing `/...`.
pub const COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-component-route");
/// The client's socket address, `ip:port`.
pub const CLIENT_ADDR: HeaderName = HeaderName::from_static("spin-client-addr");
/// Prefix of the per-parameter headers: `spin-path-match-<name>`.
pub const PATH_MATCH_PREFIX: &str = "spin-path-match-";
/// Prefix reserved for host-set headers.
pub const RESERVED_PREFIX: &str = "spin-";

/// What the server knows about a routed request.
#[derive(Debug, Clone, Copy)]
pub struct SpinRequestInfo<'a> {
    /// `scheme://authority/path?query` as received.
    pub full_url: &'a str,
    /// The matched route text, e.g. `/hello/...`.
    pub matched_route: &'a str,
    /// The route without `/...`, e.g. `/hello`.
    pub component_route: &'a str,
    /// The path below the component route, e.g. `/a` (undecoded).
    pub path_info: &'a str,
    /// `:name` captures, `(name, raw segment)`.
    pub params: &'a [(String, String)],
    /// The client's address.
    pub client_addr: SocketAddr,
    /// The application base path, `/`.
    pub base_path: &'a str,
}

/// The headers to add to the guest's request.
///
/// Bytes other than visible ASCII and space (control characters, tab, DEL,
/// non-ASCII) are percent-encoded (`%XX`) rather than the header dropped, so
/// the guest always sees every header; values taken from a parsed URI never
/// need it. `%` itself is not escaped: the values are URI text already.
/// A `spin-path-match-<name>` header whose name would be invalid is skipped
/// (route parsing already restricts names, so this only guards direct calls).
pub fn spin_headers(info: &SpinRequestInfo<'_>) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::with_capacity(7 + info.params.len());
    let client = info.client_addr.to_string();
    for (name, value) in [
        (FULL_URL, info.full_url),
        (PATH_INFO, info.path_info),
        (MATCHED_ROUTE, info.matched_route),
        (BASE_PATH, info.base_path),
        (RAW_COMPONENT_ROUTE, info.matched_route),
        (COMPONENT_ROUTE, info.component_route),
        (CLIENT_ADDR, client.as_str()),
    ] {
        out.push((name, header_value(value)));
    }
    for (param, value) in info.params {
        let name = format!("{PATH_MATCH_PREFIX}{}", param.to_ascii_lowercase());
        match HeaderName::try_from(name) {
            Ok(name) => out.push((name, header_value(value))),
            Err(_) => {
                tracing::warn!(param = %param.escape_debug(), "route parameter name is not a valid header name; skipped")
            }
        }
    }
    out
}

/// Removes every header whose name starts with `spin-` (names are stored
/// lowercase, so this is case-insensitive on the wire).
pub fn strip_client_spin_headers(headers: &mut HeaderMap) {
    let spoofed: Vec<HeaderName> =
        headers.keys().filter(|name| name.as_str().starts_with(RESERVED_PREFIX)).cloned().collect();
    for name in spoofed {
        headers.remove(&name);
    }
}

/// `value` as a header value of visible ASCII and spaces only: other bytes
/// (controls, DEL, tab and non-ASCII, which the `http` crate would accept as
/// obs-text) are percent-encoded.
fn header_value(value: &str) -> HeaderValue {
    let plain = |b: u8| (0x20..0x7f).contains(&b);
    let encoded;
    let value = if value.bytes().all(plain) {
        value
    } else {
        let mut out = String::with_capacity(value.len() * 3);
        for b in value.bytes() {
            if plain(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        encoded = out;
        &encoded
    };
    // Only visible ASCII is left, which is always valid; the fallback keeps
    // this infallible without a panic path.
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info<'a>(params: &'a [(String, String)]) -> SpinRequestInfo<'a> {
        SpinRequestInfo {
            full_url: "http://127.0.0.1:3000/hello/a?x=1",
            matched_route: "/hello/...",
            component_route: "/hello",
            path_info: "/a",
            params,
            client_addr: "127.0.0.1:54321".parse().unwrap(),
            base_path: "/",
        }
    }

    fn get<'a>(headers: &'a [(HeaderName, HeaderValue)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| n.as_str() == name).and_then(|(_, v)| v.to_str().ok())
    }

    #[test]
    fn all_headers() {
        let h = spin_headers(&info(&[]));
        assert_eq!(get(&h, "spin-full-url"), Some("http://127.0.0.1:3000/hello/a?x=1"));
        assert_eq!(get(&h, "spin-path-info"), Some("/a"));
        assert_eq!(get(&h, "spin-matched-route"), Some("/hello/..."));
        assert_eq!(get(&h, "spin-base-path"), Some("/"));
        assert_eq!(get(&h, "spin-raw-component-route"), Some("/hello/..."));
        assert_eq!(get(&h, "spin-component-route"), Some("/hello"));
        assert_eq!(get(&h, "spin-client-addr"), Some("127.0.0.1:54321"));
        assert_eq!(h.len(), 7);
    }

    #[test]
    fn empty_values_and_ipv6() {
        let mut i = info(&[]);
        i.path_info = "";
        i.component_route = "";
        i.client_addr = "[::1]:8080".parse().unwrap();
        let h = spin_headers(&i);
        assert_eq!(get(&h, "spin-path-info"), Some(""));
        assert_eq!(get(&h, "spin-component-route"), Some(""));
        assert_eq!(get(&h, "spin-client-addr"), Some("[::1]:8080"));
    }

    #[test]
    fn params_become_path_match_headers() {
        let params =
            vec![("userId".to_string(), "42".to_string()), ("slug".to_string(), "a%20b".to_string())];
        let h = spin_headers(&info(&params));
        assert_eq!(get(&h, "spin-path-match-userid"), Some("42"));
        assert_eq!(get(&h, "spin-path-match-slug"), Some("a%20b"));
        assert_eq!(h.len(), 9);
    }

    #[test]
    fn invalid_values_are_percent_encoded() {
        let params = vec![
            ("x".to_string(), "a\r\nInjected: yes".to_string()),
            ("y".to_string(), "caf\u{e9}\u{0}\u{7f}\t".to_string()),
        ];
        let mut i = info(&params);
        i.path_info = "/\u{65e5}";
        let h = spin_headers(&i);
        assert_eq!(get(&h, "spin-path-match-x"), Some("a%0D%0AInjected: yes"));
        assert_eq!(get(&h, "spin-path-match-y"), Some("caf%C3%A9%00%7F%09"));
        assert_eq!(get(&h, "spin-path-info"), Some("/%E6%97%A5"));
        assert!(get(&h, "injected").is_none());
    }

    #[test]
    fn invalid_param_names_are_skipped() {
        let params = vec![
            ("bad name".to_string(), "1".to_string()),
            ("a\nb".to_string(), "1".to_string()),
            ("\u{e9}".to_string(), "1".to_string()),
            ("ok".to_string(), "1".to_string()),
        ];
        let h = spin_headers(&info(&params));
        assert_eq!(h.len(), 8);
        assert_eq!(get(&h, "spin-path-match-ok"), Some("1"));
    }

    #[test]
    fn strips_spoofed_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("spin-full-url", HeaderValue::from_static("http://evil/"));
        headers.append("Spin-Path-Info", HeaderValue::from_static("/admin"));
        headers.append("spin-path-info", HeaderValue::from_static("/admin2"));
        headers.insert("SPIN-PATH-MATCH-ID", HeaderValue::from_static("0"));
        headers.insert("spin-", HeaderValue::from_static("x"));
        headers.insert("x-spin-keep", HeaderValue::from_static("kept"));
        headers.insert("spinach", HeaderValue::from_static("kept"));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        strip_client_spin_headers(&mut headers);
        let mut names: Vec<&str> = headers.keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "spinach", "x-spin-keep"]);
        assert_eq!(headers.len(), 3);
    }

    #[test]
    fn strip_many_headers() {
        let mut headers = HeaderMap::new();
        for i in 0..5_000 {
            let name = HeaderName::try_from(format!("spin-h{i}")).unwrap();
            headers.append(name, HeaderValue::from_static("x"));
            let name = HeaderName::try_from(format!("x-h{i}")).unwrap();
            headers.append(name, HeaderValue::from_static("x"));
        }
        strip_client_spin_headers(&mut headers);
        assert_eq!(headers.len(), 5_000);
        assert!(headers.keys().all(|n| n.as_str().starts_with("x-h")));
    }
}
