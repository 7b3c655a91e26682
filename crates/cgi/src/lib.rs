//! WAGI: CGI 1.1 (RFC 3875) for WebAssembly modules.
//!
//! The server describes the request in environment variables
//! ([`build_env`]) and command-line arguments ([`build_argv`]), passes the
//! body on stdin, and reads a CGI response from stdout ([`parse_output`]).
//! Everything here is pure (no I/O), so it can be tested and fuzzed alone;
//! the executor lives in `kiln-trigger-http`.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// Headers a guest may not set on a response it hands over whole (WAGI,
/// Spin 1): hop-by-hop ones and those framing the body, which the server
/// produces itself from the body it sends.
pub fn is_host_managed(name: &http::HeaderName) -> bool {
    const MANAGED: &[&str] =
        &["connection", "content-length", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];
    MANAGED.contains(&name.as_str()) || name.as_str().starts_with("proxy-")
}

/// The argv template used when a component configures none.
pub const DEFAULT_ARGV: &str = "${SCRIPT_NAME} ${ARGS}";
/// Most header lines a module may write before the body.
pub const MAX_HEADERS: usize = 1024;
/// Most bytes the header section (up to the blank line) may take.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

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

/// Why a module's stdout is not a valid CGI response. The server answers
/// 502 Bad Gateway. Messages quote no guest output beyond a short, escaped
/// snippet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CgiError {
    /// The module wrote nothing.
    #[error("the module wrote no output")]
    Empty,
    /// The output does not start with a header line.
    #[error(
        "the output does not start with a header (CGI output needs headers, a blank line, then the body)"
    )]
    NoHeaders,
    /// No blank line separates the headers from the body.
    #[error("no blank line after the headers")]
    MissingSeparator,
    /// A header line has no `:`.
    #[error("header line {line} has no `:`")]
    MalformedHeader {
        /// 1-based line number.
        line: usize,
    },
    /// A header name is not a valid HTTP token.
    #[error("header line {line}: invalid header name")]
    InvalidHeaderName {
        /// 1-based line number.
        line: usize,
    },
    /// A header value contains characters HTTP does not allow (such as a
    /// lone CR or other control characters).
    #[error("header line {line}: invalid value for `{name}`")]
    InvalidHeaderValue {
        /// 1-based line number.
        line: usize,
        /// The header name.
        name: String,
    },
    /// `Status` is not a three-digit code between 100 and 599.
    #[error("invalid Status {value:?}")]
    InvalidStatus {
        /// The start of the value, escaped.
        value: String,
    },
    /// A header that may appear once appeared twice.
    #[error("more than one `{name}` header")]
    DuplicateHeader {
        /// `status` or `location`.
        name: &'static str,
    },
    /// More than [`MAX_HEADERS`] header lines.
    #[error("more than {limit} header lines")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The header section is longer than [`MAX_HEADER_BYTES`].
    #[error("header section longer than {limit} bytes")]
    HeadersTooLarge {
        /// The limit.
        limit: usize,
    },
}

/// A module's response, ready to send.
#[derive(Debug, Clone)]
pub struct CgiResponse {
    /// From `Status`, else 302 with `Location`, else 200.
    pub status: StatusCode,
    /// The module's headers, less `Status` and the framing headers.
    pub headers: HeaderMap,
    /// Everything after the blank line.
    pub body: Bytes,
}

/// Parses CGI output (RFC 3875 §6).
///
/// * Header lines end in `\n` or `\r\n`; the first empty line ends them and
///   everything after it is the body, byte for byte. Output without that
///   blank line is an error, even when it has no body.
/// * A line must be `name: value`; leading and trailing blanks around the
///   value are trimmed. Continuation lines (starting with a blank) are not
///   supported and fail as invalid header names.
/// * `Status: 404 Not Found` sets the status (the reason phrase is ignored;
///   the code must be three digits from 100 to 599).
/// * `Location` without `Status` gives 302 Found. Local redirects (RFC 3875
///   §6.2.2) are not performed: the client is redirected instead.
/// * `Connection`, `Keep-Alive`, `Upgrade`, `TE`, `Trailer`,
///   `Transfer-Encoding`, `Content-Length` and `Proxy-*` are dropped, so the
///   module can neither smuggle a second response nor misframe this one.
/// * All other headers (`Content-Type` included) pass through, repeated ones
///   kept. No header is required beyond the first line being one.
pub fn parse_output(stdout: &[u8]) -> Result<CgiResponse, CgiError> {
    if stdout.is_empty() {
        return Err(CgiError::Empty);
    }
    let mut headers = HeaderMap::new();
    let mut status: Option<StatusCode> = None;
    let mut has_location = false;
    let mut pos = 0usize;
    let mut line_no = 0;
    let body_start = loop {
        let Some(rest) = stdout.get(pos..) else { return Err(CgiError::MissingSeparator) };
        let newline = rest.iter().position(|&b| b == b'\n');
        let limit_hit = match newline {
            Some(n) => pos + n > MAX_HEADER_BYTES,
            None => stdout.len() > MAX_HEADER_BYTES,
        };
        if limit_hit {
            return Err(CgiError::HeadersTooLarge { limit: MAX_HEADER_BYTES });
        }
        let Some(n) = newline else {
            // A lone unterminated line still counts as a header if it has a colon.
            let looks_like_header = line_no > 0 || rest.contains(&b':');
            return Err(if looks_like_header { CgiError::MissingSeparator } else { CgiError::NoHeaders });
        };
        let raw = rest.get(..n).unwrap_or(&[]);
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        pos += n + 1;
        line_no += 1;
        if line.is_empty() {
            if line_no == 1 {
                return Err(CgiError::NoHeaders);
            }
            break pos;
        }
        if line_no > MAX_HEADERS {
            return Err(CgiError::TooManyHeaders { limit: MAX_HEADERS });
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(if line_no == 1 {
                CgiError::NoHeaders
            } else {
                CgiError::MalformedHeader { line: line_no }
            });
        };
        let (name, value) = line.split_at(colon);
        let value = trim_blanks(value.get(1..).unwrap_or(&[]));
        let name = HeaderName::from_bytes(name).map_err(|_| {
            if line_no == 1 {
                CgiError::NoHeaders
            } else {
                CgiError::InvalidHeaderName { line: line_no }
            }
        })?;
        if name.as_str() == "status" {
            if status.is_some() {
                return Err(CgiError::DuplicateHeader { name: "status" });
            }
            status = Some(parse_status(value)?);
            continue;
        }
        if is_host_managed(&name) {
            tracing::debug!(header = %name, "dropped a hop-by-hop or framing header from CGI output");
            continue;
        }
        let value = HeaderValue::from_bytes(value)
            .map_err(|_| CgiError::InvalidHeaderValue { line: line_no, name: name.to_string() })?;
        if name == http::header::LOCATION {
            if has_location {
                return Err(CgiError::DuplicateHeader { name: "location" });
            }
            has_location = true;
        }
        headers.try_append(name, value).map_err(|_| CgiError::TooManyHeaders { limit: MAX_HEADERS })?;
    };
    let status = match status {
        Some(status) => status,
        None if has_location => StatusCode::FOUND,
        None => StatusCode::OK,
    };
    let body = Bytes::copy_from_slice(stdout.get(body_start..).unwrap_or(&[]));
    Ok(CgiResponse { status, headers, body })
}

/// Parses a `Status` value: `404`, `404 Not Found`.
fn parse_status(value: &[u8]) -> Result<StatusCode, CgiError> {
    let invalid = || CgiError::InvalidStatus { value: snippet(value) };
    let code = value.split(|&b| b == b' ' || b == b'\t').next().unwrap_or(&[]);
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let number = code.iter().fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    if !(100..=599).contains(&number) {
        return Err(invalid());
    }
    StatusCode::from_u16(number).map_err(|_| invalid())
}

/// Trims spaces and tabs on both ends.
fn trim_blanks(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// At most 32 bytes of guest output, escaped for a log line.
fn snippet(value: &[u8]) -> String {
    value.iter().take(32).flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            h.append(name, HeaderValue::from_bytes(value).unwrap());
        }
        h
    }

    fn env_for(uri: &str, headers: &HeaderMap, path_info: &str) -> Vec<(String, String)> {
        let method = http::Method::POST;
        let uri: http::Uri = uri.parse().unwrap();
        build_env(&CgiRequest {
            method: &method,
            uri: &uri,
            headers,
            client_addr: "10.0.0.7:54321".parse().unwrap(),
            server_name: "example.com",
            server_port: 3000,
            server_protocol: "HTTP/1.1",
            server_software: "Kiln/0.1.0",
            full_url: "http://example.com:3000/hello/a%20b?x=1",
            matched_route: "/hello/...",
            component_route: "/hello",
            path_info,
            base_path: "/",
            content_length: 0,
        })
    }

    fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn cgi_variables() {
        let headers = request_headers(&[("content-type", b"text/plain"), ("host", b"example.com:3000")]);
        let env = env_for("/hello/a%20b?x=1", &headers, "/a%20b");
        let expect = [
            ("AUTH_TYPE", ""),
            ("CONTENT_LENGTH", "0"),
            ("CONTENT_TYPE", "text/plain"),
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("PATH_INFO", "/a b"),
            ("PATH_TRANSLATED", "/a b"),
            ("QUERY_STRING", "x=1"),
            ("REMOTE_ADDR", "10.0.0.7"),
            ("REMOTE_HOST", "10.0.0.7"),
            ("REMOTE_USER", ""),
            ("REQUEST_METHOD", "POST"),
            ("SCRIPT_NAME", "/hello"),
            ("SERVER_NAME", "example.com"),
            ("SERVER_PORT", "3000"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_SOFTWARE", "Kiln/0.1.0"),
            ("X_FULL_URL", "http://example.com:3000/hello/a%20b?x=1"),
            ("X_MATCHED_ROUTE", "/hello/..."),
            ("X_RAW_PATH_INFO", "/a%20b"),
            ("X_COMPONENT_ROUTE", "/hello"),
            ("X_RAW_COMPONENT_ROUTE", "/hello/..."),
            ("X_BASE_PATH", "/"),
            ("REQUEST_URI", "/hello/a%20b?x=1"),
            ("REMOTE_PORT", "54321"),
            ("HTTP_CONTENT_TYPE", "text/plain"),
            ("HTTP_HOST", "example.com:3000"),
        ];
        for (k, v) in expect {
            assert_eq!(var(&env, k), Some(v), "{k}");
        }
        assert_eq!(env.len(), expect.len());
    }

    #[test]
    fn no_query_no_content_type() {
        let env = env_for("/hello", &HeaderMap::new(), "");
        assert_eq!(var(&env, "QUERY_STRING"), Some(""));
        assert_eq!(var(&env, "CONTENT_TYPE"), Some(""));
        assert_eq!(var(&env, "PATH_INFO"), Some(""));
    }

    #[test]
    fn header_variables() {
        let headers = request_headers(&[
            ("accept", b"text/html"),
            ("accept", b"application/json"),
            ("cookie", b"a=1"),
            ("cookie", b"b=2"),
            ("x-custom-thing", b"yes"),
            ("authorization", b"Bearer secret"),
            ("proxy-authorization", b"Basic x"),
            ("proxy", b"http://evil:8080"),
            ("user-agent", "caf\u{e9}".as_bytes()),
            ("x-binary", b"\xff\xfe"),
            ("content-length", b"999"),
        ]);
        let env = env_for("/hello", &headers, "");
        assert_eq!(var(&env, "HTTP_ACCEPT"), Some("text/html, application/json"));
        assert_eq!(var(&env, "HTTP_COOKIE"), Some("a=1; b=2"));
        assert_eq!(var(&env, "HTTP_X_CUSTOM_THING"), Some("yes"));
        assert_eq!(var(&env, "HTTP_USER_AGENT"), Some("caf\u{e9}"));
        assert_eq!(var(&env, "HTTP_AUTHORIZATION"), None);
        assert_eq!(var(&env, "HTTP_PROXY_AUTHORIZATION"), None);
        assert_eq!(var(&env, "HTTP_PROXY"), None);
        assert_eq!(var(&env, "HTTP_X_BINARY"), None);
        // The client's Content-Length is a header, not the CGI variable.
        assert_eq!(var(&env, "HTTP_CONTENT_LENGTH"), Some("999"));
        assert_eq!(var(&env, "CONTENT_LENGTH"), Some("0"));
        assert!(env.iter().all(|(_, v)| !v.contains("secret")));
    }

    #[test]
    fn no_collisions_or_overrides() {
        let headers = request_headers(&[
            ("x-forwarded-for", b"1.1.1.1"),
            ("x_forwarded_for", b"6.6.6.6"),
            ("path_info", b"/etc"),
            ("script_name", b"/x"),
            ("x.dot", b"1"),
            ("x$", b"1"),
            ("http_host", b"evil"),
        ]);
        let env = env_for("/hello", &headers, "/a");
        assert_eq!(var(&env, "HTTP_X_FORWARDED_FOR"), Some("1.1.1.1"));
        assert_eq!(var(&env, "PATH_INFO"), Some("/a"));
        assert_eq!(var(&env, "SCRIPT_NAME"), Some("/hello"));
        let mut names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "duplicate variable names");
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')));
    }

    #[test]
    fn many_headers() {
        let mut headers = HeaderMap::new();
        for i in 0..2000 {
            headers.append(HeaderName::try_from(format!("x-h{i}")).unwrap(), HeaderValue::from_static("v"));
            headers.append(HeaderName::try_from(format!("x-h{i}")).unwrap(), HeaderValue::from_static("w"));
        }
        let env = env_for("/hello", &headers, "");
        assert_eq!(var(&env, "HTTP_X_H1999"), Some("v, w"));
        assert_eq!(env.len(), 24 + 2000);
    }

    #[test]
    fn path_info_decoding() {
        let cases = [
            ("/a%2Fb", "/a/b"),
            ("/%2e%2e/%2E%2E/etc", "/../../etc"),
            ("/../x", "/../x"),
            ("/caf%C3%A9", "/caf\u{e9}"),
            ("/bad%FF", "/bad\u{FFFD}"),
            ("/nul%00x", "/nul%00x"),
            ("/trunc%4", "/trunc%4"),
            ("/pct%", "/pct%"),
            ("/zz%zz", "/zz%zz"),
            ("/a+b", "/a+b"),
        ];
        for (raw, decoded) in cases {
            let env = env_for("/hello", &HeaderMap::new(), raw);
            assert_eq!(var(&env, "PATH_INFO"), Some(decoded), "{raw}");
            assert_eq!(var(&env, "X_RAW_PATH_INFO"), Some(raw));
        }
    }

    #[test]
    fn argv_expansion() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", ""), s(&["/hello"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "a+b+c"), s(&["/hello", "a", "b", "c"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "x=1&y=2"), s(&["/hello"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "a%20b+c%2Bd"), s(&["/hello", "a b", "c+d"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "a++b+"), s(&["/hello", "a", "b"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "%3D"), s(&["/hello", "="]));
        assert_eq!(build_argv(DEFAULT_ARGV, "/hello", "%00+%ff"), s(&["/hello", "%00", "\u{FFFD}"]));
        assert_eq!(build_argv(DEFAULT_ARGV, "", "a"), s(&["", "a"]));
        assert_eq!(build_argv("", "/s", "a"), s(&["/s", "a"]));
        assert_eq!(build_argv("   ", "/s", ""), s(&["/s"]));
        assert_eq!(
            build_argv("prog --name=${SCRIPT_NAME}  ${ARGS}", "/s", "q"),
            s(&["prog", "--name=/s", "q"])
        );
        assert_eq!(build_argv("${SCRIPT_NAME} --args=${ARGS}", "/s", "a+b"), s(&["/s", "--args=a b"]));
        assert_eq!(build_argv("fixed\targs\nhere", "/s", "a"), s(&["fixed", "args", "here"]));
        assert_eq!(build_argv("${UNKNOWN}", "/s", ""), s(&["${UNKNOWN}"]));
        let many = vec!["w"; 10_000].join("+");
        assert_eq!(build_argv(DEFAULT_ARGV, "/s", &many).len(), 10_001);
    }

    fn parse(out: &[u8]) -> CgiResponse {
        match parse_output(out) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn simple_response() {
        let r = parse(b"Content-Type: text/plain\n\nhello\n");
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get("content-type").unwrap(), "text/plain");
        assert_eq!(&r.body[..], b"hello\n");
        let r = parse(b"Content-Type: text/html\r\nX-A:  b c \t\r\n\r\n<p>\r\n\r\n</p>");
        assert_eq!(r.headers.get("x-a").unwrap(), "b c");
        assert_eq!(&r.body[..], b"<p>\r\n\r\n</p>");
        let r = parse(b"Content-Type: text/plain\n\n");
        assert!(r.body.is_empty());
        let r = parse(b"Content-Type:text/plain\n\n\xff\x00binary");
        assert_eq!(&r.body[..], b"\xff\x00binary");
    }

    #[test]
    fn status_and_location() {
        let r = parse(b"Status: 404 Not Found\nContent-Type: text/plain\n\nnope");
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.headers.get("status").is_none());
        let r = parse(b"status:201\n\n");
        assert_eq!(r.status, StatusCode::CREATED);
        let r = parse(b"Location: https://example.com/\n\n");
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.headers.get("location").unwrap(), "https://example.com/");
        let r = parse(b"Location: /other\nStatus: 301 Moved\n\n");
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
        let r = parse(b"Status: 599\n\n");
        assert_eq!(r.status.as_u16(), 599);
        let r = parse(b"Status: 100\n\n");
        assert_eq!(r.status.as_u16(), 100);
    }

    #[test]
    fn invalid_status() {
        for bad in ["abc", "99", "600", "999", "1000", "", "20", "2O0", "-200", "+200", "200.0", "\u{663}00"]
        {
            let out = format!("Status: {bad}\n\n");
            assert!(
                matches!(parse_output(out.as_bytes()), Err(CgiError::InvalidStatus { .. })),
                "Status: {bad:?}"
            );
        }
        assert_eq!(
            parse_output(b"Status: 200\nStatus: 500\n\n").unwrap_err(),
            CgiError::DuplicateHeader { name: "status" }
        );
        let long = format!("Status: {}\n\n", "x".repeat(10_000));
        match parse_output(long.as_bytes()) {
            Err(CgiError::InvalidStatus { value }) => assert!(value.len() <= 32),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn framing_and_hop_by_hop_headers_are_dropped() {
        let out = b"Content-Type: text/plain\nContent-Length: 5\nTransfer-Encoding: chunked\n\
            Connection: close\nKeep-Alive: timeout=5\nUpgrade: websocket\nTE: trailers\n\
            Trailer: X\nProxy-Authenticate: Basic\nProxy-Connection: keep-alive\nX-Kept: 1\n\n0123456789";
        let r = parse(out);
        let mut names: Vec<&str> = r.headers.keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "x-kept"]);
        assert_eq!(&r.body[..], b"0123456789");
    }

    #[test]
    fn repeated_headers_pass_through() {
        let r = parse(b"Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: text/plain\n\n");
        let cookies: Vec<&str> =
            r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(
            parse_output(b"Location: /a\nLocation: /b\n\n").unwrap_err(),
            CgiError::DuplicateHeader { name: "location" }
        );
    }

    #[test]
    fn malformed_output() {
        assert_eq!(parse_output(b"").unwrap_err(), CgiError::Empty);
        assert_eq!(parse_output(b"\n\nbody").unwrap_err(), CgiError::NoHeaders);
        assert_eq!(parse_output(b"\r\nbody").unwrap_err(), CgiError::NoHeaders);
        assert_eq!(parse_output(b"hello world").unwrap_err(), CgiError::NoHeaders);
        assert_eq!(parse_output(b"<html>\n\n</html>").unwrap_err(), CgiError::NoHeaders);
        assert_eq!(parse_output(b"hello: world").unwrap_err(), CgiError::MissingSeparator);
        assert_eq!(parse_output(b"Content-Type: text/plain\n").unwrap_err(), CgiError::MissingSeparator);
        assert_eq!(
            parse_output(b"Content-Type: text/plain\r\nbody").unwrap_err(),
            CgiError::MissingSeparator
        );
        assert_eq!(parse_output(b"A: b\nno colon\n\n").unwrap_err(), CgiError::MalformedHeader { line: 2 });
        assert_eq!(
            parse_output(b"A: b\nbad name: x\n\n").unwrap_err(),
            CgiError::InvalidHeaderName { line: 2 }
        );
        assert_eq!(parse_output(b"A: b\n: empty\n\n").unwrap_err(), CgiError::InvalidHeaderName { line: 2 });
        // Folded continuation lines are not CGI.
        assert_eq!(parse_output(b"A: b\n c\n\n").unwrap_err(), CgiError::MalformedHeader { line: 2 });
        assert_eq!(parse_output(b"A: b\n\tc: d\n\n").unwrap_err(), CgiError::InvalidHeaderName { line: 2 });
        // "\r\r\n" is not a line end: the stray CR lands in the value.
        assert!(parse_output(b"A: b\r\r\n\r\n").is_err());
    }

    #[test]
    fn header_injection() {
        // A lone CR cannot smuggle a second header line through.
        assert_eq!(
            parse_output(b"X-A: b\rSet-Cookie: evil\n\n").unwrap_err(),
            CgiError::InvalidHeaderValue { line: 1, name: "x-a".into() }
        );
        assert!(matches!(parse_output(b"X-A: b\x00c\n\n"), Err(CgiError::InvalidHeaderValue { .. })));
        assert!(matches!(parse_output(b"X-A: b\x7fc\n\n"), Err(CgiError::InvalidHeaderValue { .. })));
        // A body that looks like a response stays body.
        let r = parse(b"Content-Type: text/plain\n\nHTTP/1.1 200 OK\r\nX-Evil: 1\r\n\r\n");
        assert!(r.headers.get("x-evil").is_none());
        assert_eq!(r.headers.len(), 1);
        // A non-ASCII value is obs-text: accepted as opaque bytes.
        let r = parse("X-A: caf\u{e9}\n\n".as_bytes());
        assert_eq!(r.headers.get("x-a").unwrap().as_bytes(), "caf\u{e9}".as_bytes());
    }

    #[test]
    fn binary_garbage() {
        let mut seed: u32 = 0x1234_5678;
        for len in [1usize, 2, 7, 64, 1000, 70_000] {
            for _ in 0..20 {
                let garbage: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        (seed >> 24) as u8
                    })
                    .collect();
                // Must not panic; almost always an error.
                let _ = parse_output(&garbage);
            }
        }
        assert!(parse_output(&[0xff; 100]).is_err());
        assert!(parse_output(b"\xff\xfe: x\n\n").is_err());
    }

    #[test]
    fn limits() {
        let mut out = String::new();
        for i in 0..MAX_HEADERS {
            out.push_str(&format!("X-H{i}: v\n"));
        }
        let ok = format!("{out}\nbody");
        assert_eq!(parse(ok.as_bytes()).headers.len(), MAX_HEADERS);
        let too_many = format!("{out}X-Last: v\n\nbody");
        assert_eq!(
            parse_output(too_many.as_bytes()).unwrap_err(),
            CgiError::TooManyHeaders { limit: MAX_HEADERS }
        );
        let same = "X-Same: v\n".repeat(100_000) + "\n";
        assert!(matches!(
            parse_output(same.as_bytes()),
            Err(CgiError::TooManyHeaders { .. } | CgiError::HeadersTooLarge { .. })
        ));
        let huge = format!("X-Big: {}\n\n", "a".repeat(MAX_HEADER_BYTES + 1));
        assert_eq!(
            parse_output(huge.as_bytes()).unwrap_err(),
            CgiError::HeadersTooLarge { limit: MAX_HEADER_BYTES }
        );
        let unterminated = format!("X-Big: {}", "a".repeat(MAX_HEADER_BYTES + 1));
        assert!(matches!(parse_output(unterminated.as_bytes()), Err(CgiError::HeadersTooLarge { .. })));
        // A large body after small headers is fine.
        let big_body = format!("Content-Type: a/b\n\n{}", "z".repeat(4 * MAX_HEADER_BYTES));
        assert_eq!(parse(big_body.as_bytes()).body.len(), 4 * MAX_HEADER_BYTES);
    }
}
