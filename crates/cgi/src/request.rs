//! The request side: CGI environment variables and argv (RFC 3875 §4).

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName};

/// The argv template used when a component configures none.
pub const DEFAULT_ARGV: &str = "${SCRIPT_NAME} ${ARGS}";

/// What [`build_env`] needs to know about one request.
#[derive(Debug, Clone, Copy)]
pub struct CgiRequest<'a> {
    /// The request method.
    pub method: &'a http::Method,
    /// The request URI as received (path and query).
    pub uri: &'a http::Uri,
    /// The request headers, `spin-*` ones already stripped.
    pub headers: &'a HeaderMap,
    /// The client's address.
    pub client_addr: SocketAddr,
    /// The host the client addressed (`SERVER_NAME`).
    pub server_name: &'a str,
    /// The port the client addressed (`SERVER_PORT`).
    pub server_port: u16,
    /// `HTTP/1.1` and the like (`SERVER_PROTOCOL`).
    pub server_protocol: &'a str,
    /// `Kiln/<version>` (`SERVER_SOFTWARE`).
    pub server_software: &'a str,
    /// `scheme://authority/path?query` (`X_FULL_URL`).
    pub full_url: &'a str,
    /// The matched route text, e.g. `/hello/...`.
    pub matched_route: &'a str,
    /// The route without `/...`, e.g. `/hello` (`SCRIPT_NAME`).
    pub component_route: &'a str,
    /// The undecoded path below the component route.
    pub path_info: &'a str,
    /// The application base path, `/`.
    pub base_path: &'a str,
    /// The length of the request body in bytes.
    pub content_length: u64,
}

/// The CGI environment for a request, without duplicate names.
///
/// Request headers become `HTTP_<NAME>` (uppercase, `-` to `_`) with these
/// exceptions, so that no two headers map to one variable and a client cannot
/// plant variables other programs trust:
///
/// * `Authorization` and `Proxy-Authorization` are withheld, as RFC 3875
///   suggests for credentials.
/// * `Proxy` is withheld: `HTTP_PROXY` would be taken as proxy configuration
///   by many HTTP clients ("httpoxy").
/// * Names with characters other than letters, digits and `-` are withheld
///   (as Apache and nginx do for `_`): `X_Forwarded_For` must not pose as
///   `X-Forwarded-For`.
/// * Headers with a value that is not UTF-8 are withheld.
///
/// Repeated headers are joined with `, ` (`Cookie` with `; `, the separator
/// its own syntax uses). No CGI variable starts with `HTTP_`, so headers cannot
/// overwrite them.
///
/// `PATH_INFO` and `PATH_TRANSLATED` are percent-decoded (invalid UTF-8
/// becomes U+FFFD; `%00` stays encoded because environment strings cannot hold
/// NUL); `..` segments are passed through, not resolved. `X_RAW_PATH_INFO`
/// keeps the path as received.
pub fn build_env(input: &CgiRequest<'_>) -> Vec<(String, String)> {
    let path_info = percent_decode(input.path_info);
    let content_type = input
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .unwrap_or("");
    let client_ip = input.client_addr.ip().to_string();
    let fixed: [(&str, String); 24] = [
        ("AUTH_TYPE", String::new()),
        ("CONTENT_LENGTH", input.content_length.to_string()),
        ("CONTENT_TYPE", content_type.to_string()),
        ("GATEWAY_INTERFACE", "CGI/1.1".to_string()),
        ("PATH_INFO", path_info.clone()),
        ("PATH_TRANSLATED", path_info),
        ("QUERY_STRING", input.uri.query().unwrap_or("").to_string()),
        ("REMOTE_ADDR", client_ip.clone()),
        // No reverse DNS lookup: RFC 3875 allows the address instead.
        ("REMOTE_HOST", client_ip),
        ("REMOTE_USER", String::new()),
        ("REQUEST_METHOD", input.method.as_str().to_string()),
        ("SCRIPT_NAME", input.component_route.to_string()),
        ("SERVER_NAME", input.server_name.to_string()),
        ("SERVER_PORT", input.server_port.to_string()),
        ("SERVER_PROTOCOL", input.server_protocol.to_string()),
        ("SERVER_SOFTWARE", input.server_software.to_string()),
        ("X_FULL_URL", input.full_url.to_string()),
        ("X_MATCHED_ROUTE", input.matched_route.to_string()),
        ("X_RAW_PATH_INFO", input.path_info.to_string()),
        ("X_COMPONENT_ROUTE", input.component_route.to_string()),
        ("X_RAW_COMPONENT_ROUTE", input.matched_route.to_string()),
        ("X_BASE_PATH", input.base_path.to_string()),
        // Kiln extensions a guest may find useful; not in RFC 3875.
        ("REQUEST_URI", request_uri(input.uri)),
        ("REMOTE_PORT", input.client_addr.port().to_string()),
    ];
    let mut env: Vec<(String, String)> = fixed.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // `keys()` yields each name once, in first-insertion order.
    for name in input.headers.keys() {
        let Some(var) = header_env_name(name) else { continue };
        let separator = if name == http::header::COOKIE { "; " } else { ", " };
        let mut joined = String::new();
        let mut valid = true;
        for (i, value) in input.headers.get_all(name).iter().enumerate() {
            let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
                valid = false;
                break;
            };
            if i > 0 {
                joined.push_str(separator);
            }
            joined.push_str(text);
        }
        if valid {
            env.push((var, joined));
        }
    }
    env
}

/// `HTTP_<NAME>` for a header that may be passed, `None` for one withheld.
fn header_env_name(name: &HeaderName) -> Option<String> {
    let name = name.as_str();
    if matches!(name, "authorization" | "proxy-authorization" | "proxy") {
        return None;
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    Some(format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_")))
}

/// The path and query as received.
fn request_uri(uri: &http::Uri) -> String {
    uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| uri.path().to_string())
}

/// The module's argv: `template` split on whitespace, with `${SCRIPT_NAME}`
/// and `${ARGS}` expanded in each word.
///
/// `${ARGS}` are the words of an ISINDEX-style query (RFC 3875 §4.4): only a
/// query without `=` is split on `+`, each word percent-decoded; empty words
/// are dropped. A template word that is exactly `${ARGS}` becomes one argument
/// per query word (so a decoded space stays inside its argument); inside a
/// longer word the query words are joined with spaces. A word that expands to
/// the empty string is kept, so `argv[0]` stays the script name even when it
/// is empty. A blank template means [`DEFAULT_ARGV`].
pub fn build_argv(template: &str, script_name: &str, query: &str) -> Vec<String> {
    let template = if template.trim().is_empty() { DEFAULT_ARGV } else { template };
    let args: Vec<String> = if query.contains('=') {
        Vec::new()
    } else {
        query.split('+').filter(|w| !w.is_empty()).map(percent_decode).collect()
    };
    let mut argv = Vec::new();
    for word in template.split_whitespace() {
        if word == "${ARGS}" {
            argv.extend(args.iter().cloned());
        } else {
            argv.push(word.replace("${SCRIPT_NAME}", script_name).replace("${ARGS}", &args.join(" ")));
        }
    }
    argv
}

/// Decodes `%XX` escapes; malformed escapes stay as they are, `%00` stays
/// encoded (NUL cannot appear in argv or environment strings), and invalid
/// UTF-8 becomes U+FFFD. `+` is left alone: it is not a space in a path, and
/// the ISINDEX query splits on it before decoding.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| char::from(*c).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| char::from(*c).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                let decoded = (hi * 16 + lo) as u8;
                if decoded != 0 {
                    out.push(decoded);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
