//! Spin's HTTP route syntax and the router built from an app's
//! `[[trigger.http]]` routes.
//!
//! Syntax (as documented for Spin's HTTP trigger):
//!
//! * `/cart` is an *exact* route: it matches the path `/cart` only.
//! * `/users/...` is a *trailing wildcard*: it matches `/users`, `/users/`
//!   and anything below, such as `/users/1/edit`.
//! * `:name` is a *single-segment wildcard*: it matches exactly one non-empty
//!   segment, whose (undecoded) text is captured under `name`.
//!
//! Matching rules chosen for Kiln:
//!
//! * Paths are compared as received, percent-encoded; the query string is not
//!   part of the path. Non-ASCII route literals are compared in their
//!   percent-encoded (UTF-8, `%XX`) form, so a `/café` route matches the
//!   `/caf%C3%A9` a client sends.
//! * A trailing slash on the request is significant for exact routes: `/foo`
//!   does not match `/foo/` (Spin documents exact routes as matching "only the
//!   given route"). A trailing wildcard covers both, with `spin-path-info`
//!   telling them apart (`""` versus `"/"`).
//! * A trailing slash in the *route* is ignored: `/foo/` means `/foo`.
//! * Empty segments in a request (`//`) never match a literal or a `:param`.
//! * Precedence: exact routes (with or without `:params`) beat trailing
//!   wildcards; among wildcards the one with the most prefix segments wins;
//!   then, at the first position where two candidates differ, a literal
//!   segment beats a `:param`.
//! * Two routes that would match exactly the same paths (for example `/a` and
//!   `/a/`, or `/a/:x` and `/a/:y`) are rejected when the router is built,
//!   because the later one could never be reached.

use std::fmt;

/// Why a route is not valid, or a set of routes is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// `...` appears somewhere other than as the last segment.
    #[error("route `{route}`: `...` may only be the last segment")]
    WildcardNotLast {
        /// The route text.
        route: String,
    },
    /// The route contains an empty segment such as `/a//b`.
    #[error("route `{route}` contains an empty segment (`//`)")]
    EmptySegment {
        /// The route text.
        route: String,
    },
    /// A `:param` segment has no name or a name with unsupported characters.
    #[error("route `{route}`: invalid parameter name `{name}` (use letters, digits, `_` and `-`)")]
    InvalidParamName {
        /// The route text.
        route: String,
        /// The offending name, without the `:`.
        name: String,
    },
    /// The same `:param` name appears twice in one route.
    #[error("route `{route}` uses parameter `{name}` more than once")]
    DuplicateParam {
        /// The route text.
        route: String,
        /// The repeated name.
        name: String,
    },
    /// The route contains a character that can never appear in a request
    /// path (whitespace, control characters, `?` or `#`).
    #[error("route `{route}` contains the invalid character {ch:?}")]
    InvalidCharacter {
        /// The route text.
        route: String,
        /// The offending character.
        ch: char,
    },
    /// Two routes match exactly the same requests.
    #[error("duplicate route `{route}` (already declared as `{existing}`)")]
    Duplicate {
        /// The later route text.
        route: String,
        /// The earlier, equivalent route text.
        existing: String,
    },
}

/// One segment of a route between slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text that must appear as is. Stored percent-encoded for non-ASCII.
    Literal(String),
    /// `:name`: any one non-empty segment, captured under `name`.
    Param(String),
}

impl Segment {
    /// Equivalence for duplicate detection: parameter names do not matter.
    fn same_shape(&self, other: &Segment) -> bool {
        match (self, other) {
            (Segment::Literal(a), Segment::Literal(b)) => a == b,
            (Segment::Param(_), Segment::Param(_)) => true,
            _ => false,
        }
    }
}

/// A parsed Spin route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    text: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

impl RoutePattern {
    /// Parses Spin route text such as `/`, `/hello`, `/users/:id` or
    /// `/static/...`.
    ///
    /// A missing leading `/` is tolerated (`hello` means `/hello`) and a
    /// trailing `/` is ignored; the original text is kept for [`Self::as_str`].
    pub fn parse(route: &str) -> Result<Self, RouteError> {
        if let Some(ch) =
            route.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '?' || *c == '#')
        {
            return Err(RouteError::InvalidCharacter { route: route.to_string(), ch });
        }
        let body = route.strip_prefix('/').unwrap_or(route);
        if body.starts_with('/') {
            return Err(RouteError::EmptySegment { route: route.to_string() });
        }
        let body = body.strip_suffix('/').unwrap_or(body);
        let mut segments = Vec::new();
        let mut wildcard = false;
        if !body.is_empty() {
            let parts: Vec<&str> = body.split('/').collect();
            let last = parts.len() - 1;
            for (i, part) in parts.iter().enumerate() {
                if *part == "..." {
                    if i != last {
                        return Err(RouteError::WildcardNotLast { route: route.to_string() });
                    }
                    wildcard = true;
                } else if part.is_empty() {
                    return Err(RouteError::EmptySegment { route: route.to_string() });
                } else if let Some(name) = part.strip_prefix(':') {
                    // Names end up in `spin-path-match-<name>` header names.
                    let valid = !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !valid {
                        return Err(RouteError::InvalidParamName {
                            route: route.to_string(),
                            name: name.to_string(),
                        });
                    }
                    if segments.iter().any(|s| matches!(s, Segment::Param(n) if n == name)) {
                        return Err(RouteError::DuplicateParam {
                            route: route.to_string(),
                            name: name.to_string(),
                        });
                    }
                    segments.push(Segment::Param(name.to_string()));
                } else {
                    segments.push(Segment::Literal(encode_non_ascii(part)));
                }
            }
        }
        Ok(Self { text: route.to_string(), segments, wildcard })
    }

    /// The route text as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the route ends in the trailing wildcard `/...`.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The segments before any trailing wildcard.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The route without its trailing `/...` (and without a trailing `/`):
    /// `/hello/...` gives `/hello`, `/...` gives `""`, `/a/:b` gives `/a/:b`.
    /// This is Spin's "component route" and WAGI's `SCRIPT_NAME`.
    pub fn component_route(&self) -> String {
        let body = self.text.strip_prefix('/').unwrap_or(&self.text);
        let body = body.strip_suffix('/').unwrap_or(body);
        let body = if body == "..." { "" } else { body.strip_suffix("/...").unwrap_or(body) };
        if body.is_empty() && self.wildcard {
            String::new()
        } else {
            format!("/{body}")
        }
    }

    /// Matches `path` (already split, see [`split_path`]) and returns the
    /// captured parameters and the byte offset where `path_info` starts.
    fn matches(&self, path: &str, parts: &[(usize, &str)]) -> Option<(Vec<(String, String)>, usize)> {
        let n = self.segments.len();
        if parts.len() < n || (!self.wildcard && parts.len() != n) {
            return None;
        }
        let mut params = Vec::new();
        for (segment, (_, part)) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(lit) => {
                    if !literal_eq(lit, part) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    if part.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), (*part).to_string()));
                }
            }
        }
        // path_info starts right after the last matched segment: at the `/`
        // separating it from the rest, or at the end of the path.
        let rest = match n.checked_sub(1).and_then(|i| parts.get(i)) {
            Some((start, part)) => start + part.len(),
            None => 0,
        };
        Some((params, rest.min(path.len())))
    }

    /// Ordering key: greater is more specific.
    fn rank(&self) -> (bool, usize, Vec<bool>) {
        let literals = self.segments.iter().map(|s| matches!(s, Segment::Literal(_))).collect();
        (!self.wildcard, self.segments.len(), literals)
    }

    fn same_shape(&self, other: &RoutePattern) -> bool {
        self.wildcard == other.wildcard
            && self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| a.same_shape(b))
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Percent-encodes the non-ASCII bytes of `s` (uppercase hex), leaving ASCII
/// untouched, so route literals compare with what clients put on the wire.
fn encode_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Compares a stored literal with a raw request segment, encoding any
/// non-ASCII byte of the request on the fly (no allocation).
fn literal_eq(literal: &str, raw: &str) -> bool {
    if raw.is_ascii() {
        return literal == raw;
    }
    let mut lit = literal.bytes();
    for b in raw.bytes() {
        if b.is_ascii() {
            if lit.next() != Some(b) {
                return false;
            }
        } else {
            let expected = [b'%', hex_digit(b >> 4), hex_digit(b & 0xF)];
            for e in expected {
                if lit.next() != Some(e) {
                    return false;
                }
            }
        }
    }
    lit.next().is_none()
}

/// The uppercase hex digit for a nibble (`0..16`).
fn hex_digit(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        _ => b'A' + (nibble & 0xF).saturating_sub(10),
    }
}

/// Splits a request path into `(byte offset, segment)` pairs. `"/"` and `""`
/// have no segments; `"/a/"` has `a` and an empty final segment.
fn split_path(path: &str) -> Option<Vec<(usize, &str)>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let mut parts = Vec::new();
    let mut offset = 1;
    for part in rest.split('/') {
        parts.push((offset, part));
        offset += part.len() + 1;
    }
    Some(parts)
}

/// The result of routing a request path.
#[derive(Debug)]
pub struct RouteMatch<'a, T> {
    /// What the route leads to.
    pub handler: &'a T,
    /// The route that matched.
    pub pattern: &'a RoutePattern,
    /// `:name` captures in route order, as `(name, raw segment)`; the segment
    /// is not percent-decoded.
    pub params: Vec<(String, String)>,
    /// For trailing wildcards, the undecoded rest of the path after the
    /// matched prefix (`""`, `"/"` or `"/a/b"`); `""` for exact routes.
    pub path_info: String,
}

/// Routes request paths to handlers using Spin's precedence rules.
#[derive(Debug)]
pub struct Router<T> {
    routes: Vec<(RoutePattern, T)>,
}

impl<T> Router<T> {
    /// Parses every route and builds the router. Fails on the first invalid
    /// route, or on a route equivalent to an earlier one.
    pub fn build(routes: Vec<(String, T)>) -> Result<Self, RouteError> {
        let mut parsed: Vec<(RoutePattern, T)> = Vec::with_capacity(routes.len());
        for (text, handler) in routes {
            let pattern = RoutePattern::parse(&text)?;
            if let Some((existing, _)) = parsed.iter().find(|(p, _)| p.same_shape(&pattern)) {
                return Err(RouteError::Duplicate { route: text, existing: existing.text.clone() });
            }
            parsed.push((pattern, handler));
        }
        Ok(Self { routes: parsed })
    }

    /// Finds the most specific route for `path` (the path component only,
    /// undecoded). An empty path is treated as `/`; a path not starting with
    /// `/` (such as the `*` of `OPTIONS *`) matches nothing.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_, T>> {
        let path = if path.is_empty() { "/" } else { path };
        let parts = split_path(path)?;
        // The best match so far and where its path_info starts.
        let mut best: Option<(RouteMatch<'_, T>, usize)> = None;
        for (pattern, handler) in &self.routes {
            let Some((params, rest)) = pattern.matches(path, &parts) else { continue };
            // Strictly greater: on a tie the earlier declaration wins.
            let better = match &best {
                None => true,
                Some((current, _)) => pattern.rank() > current.pattern.rank(),
            };
            if better {
                best = Some((RouteMatch { handler, pattern, params, path_info: String::new() }, rest));
            }
        }
        best.map(|(mut found, rest)| {
            if found.pattern.wildcard {
                found.path_info = path.get(rest..).unwrap_or("").to_string();
            }
            found
        })
    }

    /// The routes and their handlers in declaration order.
    pub fn routes(&self) -> impl Iterator<Item = (&RoutePattern, &T)> {
        self.routes.iter().map(|(p, t)| (p, t))
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the router has no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router<String> {
        match Router::build(routes.iter().map(|r| (r.to_string(), r.to_string())).collect()) {
            Ok(r) => r,
            Err(e) => panic!("build failed: {e}"),
        }
    }

    /// `(route text, path_info)` of the match, or `None`.
    fn hit(r: &Router<String>, path: &str) -> Option<(String, String)> {
        r.route(path).map(|m| (m.handler.clone(), m.path_info))
    }

    fn some(route: &str, info: &str) -> Option<(String, String)> {
        Some((route.to_string(), info.to_string()))
    }

    #[test]
    fn parse_shapes() {
        let p = RoutePattern::parse("/users/:id/...").unwrap();
        assert!(p.is_wildcard());
        assert_eq!(p.segments(), &[Segment::Literal("users".into()), Segment::Param("id".into())]);
        assert_eq!(p.as_str(), "/users/:id/...");
        let root = RoutePattern::parse("/").unwrap();
        assert!(!root.is_wildcard());
        assert!(root.segments().is_empty());
        assert_eq!(RoutePattern::parse("").unwrap().segments().len(), 0);
        assert_eq!(RoutePattern::parse("hello").unwrap().segments(), &[Segment::Literal("hello".into())]);
        assert_eq!(RoutePattern::parse("/foo/").unwrap().segments(), &[Segment::Literal("foo".into())]);
    }

    #[test]
    fn component_routes() {
        let cr = |r: &str| RoutePattern::parse(r).unwrap().component_route();
        assert_eq!(cr("/hello/..."), "/hello");
        assert_eq!(cr("/..."), "");
        assert_eq!(cr("/hello"), "/hello");
        assert_eq!(cr("/"), "/");
        assert_eq!(cr("/a/:b"), "/a/:b");
        assert_eq!(cr("/a/:b/..."), "/a/:b");
        assert_eq!(cr("hello/..."), "/hello");
        assert_eq!(cr("/hello/"), "/hello");
    }

    #[test]
    fn parse_errors() {
        let err = |r: &str| RoutePattern::parse(r).unwrap_err();
        assert!(matches!(err("/.../a"), RouteError::WildcardNotLast { .. }));
        assert!(matches!(err("/a//b"), RouteError::EmptySegment { .. }));
        assert!(matches!(err("//"), RouteError::EmptySegment { .. }));
        assert!(matches!(err("/a/:"), RouteError::InvalidParamName { .. }));
        assert!(matches!(err("/a/:b.c"), RouteError::InvalidParamName { .. }));
        assert!(matches!(err("/a/:n\u{e9}"), RouteError::InvalidParamName { .. }));
        assert!(matches!(err("/:x/:x"), RouteError::DuplicateParam { .. }));
        assert!(matches!(err("/a b"), RouteError::InvalidCharacter { ch: ' ', .. }));
        assert!(matches!(err("/a?x=1"), RouteError::InvalidCharacter { ch: '?', .. }));
        assert!(matches!(err("/a#x"), RouteError::InvalidCharacter { .. }));
        assert!(matches!(err("/a\n"), RouteError::InvalidCharacter { .. }));
        // `...` inside a literal is just text.
        assert!(RoutePattern::parse("/a.../b").is_ok());
    }

    #[test]
    fn exact_routes() {
        let r = router(&["/foo", "/", "/foo/bar"]);
        assert_eq!(hit(&r, "/foo"), some("/foo", ""));
        assert_eq!(hit(&r, "/foo/bar"), some("/foo/bar", ""));
        assert_eq!(hit(&r, "/"), some("/", ""));
        assert_eq!(hit(&r, ""), some("/", ""));
        // Trailing slash on the request is significant for exact routes.
        assert_eq!(hit(&r, "/foo/"), None);
        assert_eq!(hit(&r, "/foobar"), None);
        assert_eq!(hit(&r, "/FOO"), None);
        assert_eq!(hit(&r, "//"), None);
        assert_eq!(hit(&r, "//foo"), None);
        assert_eq!(hit(&r, "*"), None);
    }

    #[test]
    fn wildcard_path_info() {
        let r = router(&["/foo/..."]);
        assert_eq!(hit(&r, "/foo"), some("/foo/...", ""));
        assert_eq!(hit(&r, "/foo/"), some("/foo/...", "/"));
        assert_eq!(hit(&r, "/foo/a/b"), some("/foo/...", "/a/b"));
        assert_eq!(hit(&r, "/foo//a"), some("/foo/...", "//a"));
        assert_eq!(hit(&r, "/foobar"), None);
        assert_eq!(hit(&r, "/"), None);
        let m = r.route("/foo/x").unwrap();
        assert_eq!(m.pattern.component_route(), "/foo");
    }

    #[test]
    fn catch_all() {
        let r = router(&["/..."]);
        assert_eq!(hit(&r, "/"), some("/...", "/"));
        assert_eq!(hit(&r, ""), some("/...", "/"));
        assert_eq!(hit(&r, "/a/b?c"), some("/...", "/a/b?c"));
        assert_eq!(hit(&r, "//"), some("/...", "//"));
        assert_eq!(hit(&r, "/a/../../etc/passwd"), some("/...", "/a/../../etc/passwd"));
    }

    #[test]
    fn params() {
        let r = router(&["/users/:id/edit", "/users/:id/..."]);
        let m = r.route("/users/42/edit").unwrap();
        assert_eq!(m.pattern.as_str(), "/users/:id/edit");
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "");
        let m = r.route("/users/al%20ice/posts/1").unwrap();
        assert_eq!(m.pattern.as_str(), "/users/:id/...");
        assert_eq!(m.params, vec![("id".to_string(), "al%20ice".to_string())]);
        assert_eq!(m.path_info, "/posts/1");
        // A param never matches an empty segment.
        assert_eq!(hit(&r, "/users//edit"), None);
        assert_eq!(hit(&r, "/users"), None);
        // `..` is just a segment: routing works on the path as received.
        let m = r.route("/users/../edit").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "..".to_string())]);
    }

    #[test]
    fn multiple_params() {
        let r = router(&["/:a/x/:b"]);
        let m = r.route("/1/x/2").unwrap();
        assert_eq!(m.params, vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert!(r.route("/1/y/2").is_none());
        assert!(r.route("/1/x/2/").is_none());
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&["/...", "/foo/...", "/foo", "/foo/:x"]);
        assert_eq!(hit(&r, "/foo"), some("/foo", ""));
        assert_eq!(hit(&r, "/foo/bar"), some("/foo/:x", ""));
        assert_eq!(hit(&r, "/foo/"), some("/foo/...", "/"));
        assert_eq!(hit(&r, "/foo/bar/baz"), some("/foo/...", "/bar/baz"));
        assert_eq!(hit(&r, "/other"), some("/...", "/other"));
    }

    #[test]
    fn longest_wildcard_wins_regardless_of_order() {
        let r = router(&["/a/...", "/a/b/c/...", "/a/b/..."]);
        assert_eq!(hit(&r, "/a/b/c/d"), some("/a/b/c/...", "/d"));
        assert_eq!(hit(&r, "/a/b/x"), some("/a/b/...", "/x"));
        assert_eq!(hit(&r, "/a/x"), some("/a/...", "/x"));
        assert_eq!(hit(&r, "/a/b"), some("/a/b/...", ""));
    }

    #[test]
    fn literal_beats_param() {
        let r = router(&["/:x/b", "/a/:y", "/:p/:q"]);
        assert_eq!(hit(&r, "/a/b"), some("/a/:y", ""));
        assert_eq!(hit(&r, "/z/b"), some("/:x/b", ""));
        assert_eq!(hit(&r, "/z/z"), some("/:p/:q", ""));
        let r = router(&["/:x/...", "/a/..."]);
        assert_eq!(hit(&r, "/a/b"), some("/a/...", "/b"));
        assert_eq!(hit(&r, "/b/b"), some("/:x/...", "/b"));
        // A longer wildcard with a param beats a shorter literal one.
        let r = router(&["/a/...", "/:x/b/..."]);
        assert_eq!(hit(&r, "/a/b/c"), some("/:x/b/...", "/c"));
    }

    #[test]
    fn duplicates_are_rejected() {
        let build = |routes: &[&str]| Router::build(routes.iter().map(|r| (r.to_string(), ())).collect());
        let err = build(&["/a", "/b", "/a"]).unwrap_err();
        assert_eq!(err, RouteError::Duplicate { route: "/a".into(), existing: "/a".into() });
        assert!(err.to_string().contains("`/a`"));
        assert!(matches!(build(&["/a", "/a/"]), Err(RouteError::Duplicate { .. })));
        assert!(matches!(build(&["/a/:x", "/a/:y"]), Err(RouteError::Duplicate { .. })));
        assert!(matches!(build(&["/...", "/..."]), Err(RouteError::Duplicate { .. })));
        // Exact and wildcard of the same prefix are distinct.
        assert!(build(&["/a", "/a/..."]).is_ok());
        assert!(build(&["/a/:x", "/a/b"]).is_ok());
        assert!(matches!(build(&["/ok", "/bad//x"]), Err(RouteError::EmptySegment { .. })));
    }

    #[test]
    fn routes_in_declaration_order() {
        let r = router(&["/z", "/...", "/a"]);
        let order: Vec<&str> = r.routes().map(|(p, _)| p.as_str()).collect();
        assert_eq!(order, ["/z", "/...", "/a"]);
        assert_eq!(r.len(), 3);
        assert!(!r.is_empty());
        assert!(router(&[]).route("/").is_none());
    }

    #[test]
    fn percent_encoding_is_not_decoded() {
        let r = router(&["/a b/...".replace(' ', "%20").as_str(), "/c"]);
        assert_eq!(hit(&r, "/a%20b/x"), some("/a%20b/...", "/x"));
        assert_eq!(hit(&r, "/%63"), None);
        let r = router(&["/x/..."]);
        assert_eq!(hit(&r, "/x/%2F..%2F"), some("/x/...", "/%2F..%2F"));
        assert_eq!(hit(&r, "/x%2Fy"), None);
    }

    #[test]
    fn non_ascii() {
        let r = router(&["/caf\u{e9}", "/\u{65e5}/..."]);
        assert_eq!(hit(&r, "/caf%C3%A9"), some("/caf\u{e9}", ""));
        // Raw UTF-8 on the wire compares the same way.
        assert_eq!(hit(&r, "/caf\u{e9}"), some("/caf\u{e9}", ""));
        assert_eq!(hit(&r, "/caf%c3%a9"), None);
        assert_eq!(hit(&r, "/caf\u{e8}"), None);
        assert_eq!(hit(&r, "/\u{65e5}/x"), some("/\u{65e5}/...", "/x"));
        assert_eq!(hit(&r, "/%E6%97%A5"), some("/\u{65e5}/...", ""));
        assert_eq!(hit(&r, "/\u{1F600}"), None);
    }

    #[test]
    fn long_and_weird_paths() {
        let r = router(&["/...", "/a/:b", "/x"]);
        let long = "/a".repeat(100_000);
        assert_eq!(hit(&r, &long).map(|m| m.1.len()), Some(long.len()));
        let slashes = "/".repeat(50_000);
        assert_eq!(hit(&r, &slashes), Some(("/...".to_string(), slashes.clone())));
        assert_eq!(hit(&r, "/a/\u{0}"), some("/a/:b", ""));
        let r = router(&["/x"]);
        for path in ["", "/", "//", "x", "/x/", "/x//", "\u{FEFF}/x", "/x\u{0}", "%2Fx", "?"] {
            assert_eq!(hit(&r, path), None, "{path:?}");
        }
    }
}
