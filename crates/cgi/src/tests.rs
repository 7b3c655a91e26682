//! Unit tests of request variables, argv and response parsing.

use super::*;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

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
    for (name, expected) in [
        ("HTTP_ACCEPT", Some("text/html, application/json")),
        ("HTTP_COOKIE", Some("a=1; b=2")),
        ("HTTP_X_CUSTOM_THING", Some("yes")),
        ("HTTP_USER_AGENT", Some("caf\u{e9}")),
        ("HTTP_AUTHORIZATION", None),
        ("HTTP_PROXY_AUTHORIZATION", None),
        ("HTTP_PROXY", None),
        ("HTTP_X_BINARY", None),
        // The client's Content-Length is a header, not the CGI variable.
        ("HTTP_CONTENT_LENGTH", Some("999")),
        ("CONTENT_LENGTH", Some("0")),
    ] {
        assert_eq!(var(&env, name), expected, "{name}");
    }
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
