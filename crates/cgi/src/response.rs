//! The response side: parsing a module's CGI output (RFC 3875 §6).

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

/// Most header lines a module may write before the body.
pub const MAX_HEADERS: usize = 1024;
/// Most bytes the header section (up to the blank line) may take.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

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

