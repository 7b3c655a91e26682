//! `allowed_outbound_hosts` entries: parsing, validation and matching.
//!
//! An entry is `scheme://host[:port]`:
//! - scheme: a name such as `https` or `redis`, or `*` for any;
//! - host: a name, an IP address (IPv6 in brackets), a CIDR block
//!   (`10.0.0.0/8`), `*`, `*.example.com` (any subdomain), `self` (the
//!   application itself) or a `{{ variable }}` template;
//! - port: a number, a half-open range `8000..8010`, `*`, or omitted for
//!   the scheme's well-known port.
//!
//! A single trailing `/` is accepted; paths, queries and credentials are not.

use std::fmt;
use std::net::IpAddr;

use crate::validate;

/// A parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHostConfig {
    /// Which schemes are allowed.
    pub scheme: SchemeConfig,
    /// Which hosts are allowed.
    pub host: HostConfig,
    /// Which ports are allowed.
    pub port: PortConfig,
}

/// The scheme part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeConfig {
    /// `*`: any scheme.
    Any,
    /// One scheme, lowercase.
    Named(String),
}

/// The host part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostConfig {
    /// `*`: any host.
    Any,
    /// `*.example.com`: any subdomain of the given domain (not the domain
    /// itself). Holds the domain, lowercase.
    AnySubdomain(String),
    /// A host name, lowercase.
    Name(String),
    /// An IP address.
    Ip(IpAddr),
    /// A CIDR block: network address and prefix length.
    Cidr(IpAddr, u8),
    /// `self`: requests to the application itself.
    ToSelf,
    /// A host containing `{{ variable }}` placeholders; it matches nothing
    /// until resolved and parsed again.
    Template(String),
}

/// The port part of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortConfig {
    /// Omitted: the well-known port of the request's scheme.
    Default,
    /// `*`: any port.
    Any,
    /// One port.
    Port(u16),
    /// `start..end`: ports from `start` up to but not including `end`.
    Range(u16, u16),
}

/// Why an entry is invalid, with a corrected entry when one is obvious.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", .suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct OutboundHostError {
    /// What is wrong with the entry.
    pub message: String,
    /// A likely intended entry.
    pub suggestion: Option<String>,
}

impl OutboundHostError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            suggestion: None,
        }
    }

    fn suggest(message: impl Into<String>, suggestion: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            suggestion: Some(suggestion.into()),
        }
    }
}

/// The well-known port of a scheme, if Kiln knows one.
pub fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "redis" => 6379,
        "rediss" => 6380,
        "mysql" => 3306,
        "postgres" | "postgresql" => 5432,
        "mqtt" => 1883,
        "mqtts" => 8883,
        _ => return None,
    })
}

const FORMAT: &str = "entries must look like `scheme://host[:port]`";

impl AllowedHostConfig {
    /// Parses one entry.
    pub fn parse(entry: &str) -> Result<Self, OutboundHostError> {
        let trimmed = entry.trim();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return Err(missing_scheme(trimmed));
        };
        let scheme = parse_scheme(scheme, entry)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err(OutboundHostError::new(format!(
                "`{entry}` has no host; {FORMAT}"
            )));
        }
        if let Some(bad) = rest.find(['?', '#', '@']) {
            let what = if rest[bad..].starts_with('@') {
                "credentials"
            } else {
                "a query or fragment"
            };
            return Err(OutboundHostError::new(format!(
                "`{entry}` contains {what}; {FORMAT}"
            )));
        }
        let (host, port) = split_host_port(rest, entry)?;
        let host = parse_host(host, entry)?;
        let port = match port {
            None => PortConfig::Default,
            Some(p) => parse_port(p, entry)?,
        };
        Ok(Self { scheme, host, port })
    }

    /// Whether a connection to `host:port` over `scheme` is allowed.
    ///
    /// `host` may be a name, an IP address, or a bracketed IPv6 address;
    /// pass `self` for requests to the application itself. Template hosts
    /// never match: resolve them first.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = match &self.scheme {
            SchemeConfig::Any => true,
            SchemeConfig::Named(s) => s.eq_ignore_ascii_case(scheme),
        };
        let port_ok = match self.port {
            PortConfig::Any => true,
            PortConfig::Port(p) => p == port,
            PortConfig::Range(start, end) => (start..end).contains(&port),
            PortConfig::Default => default_port(scheme) == Some(port),
        };
        scheme_ok && port_ok && self.host_matches(host)
    }

    fn host_matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match &self.host {
            HostConfig::Any => true,
            HostConfig::Name(name) => name.eq_ignore_ascii_case(host),
            HostConfig::AnySubdomain(domain) => {
                let host = host.to_ascii_lowercase();
                host.strip_suffix(domain.as_str())
                    .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
            }
            HostConfig::Ip(ip) => bare.parse::<IpAddr>().is_ok_and(|h| h == *ip),
            HostConfig::Cidr(net, prefix) => bare
                .parse::<IpAddr>()
                .is_ok_and(|h| in_cidr(h, *net, *prefix)),
            HostConfig::ToSelf => host == "self",
            HostConfig::Template(_) => false,
        }
    }
}

impl fmt::Display for AllowedHostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            SchemeConfig::Any => write!(f, "*://")?,
            SchemeConfig::Named(s) => write!(f, "{s}://")?,
        }
        match &self.host {
            HostConfig::Any => write!(f, "*")?,
            HostConfig::AnySubdomain(d) => write!(f, "*.{d}")?,
            HostConfig::Name(n) | HostConfig::Template(n) => write!(f, "{n}")?,
            HostConfig::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
            HostConfig::Ip(ip) => write!(f, "{ip}")?,
            HostConfig::Cidr(IpAddr::V6(ip), p) => write!(f, "[{ip}]/{p}")?,
            HostConfig::Cidr(ip, p) => write!(f, "{ip}/{p}")?,
            HostConfig::ToSelf => write!(f, "self")?,
        }
        match self.port {
            PortConfig::Default => Ok(()),
            PortConfig::Any => write!(f, ":*"),
            PortConfig::Port(p) => write!(f, ":{p}"),
            PortConfig::Range(a, b) => write!(f, ":{a}..{b}"),
        }
    }
}

/// Validates an entry as written in a manifest. Entries with a
/// `{{ variable }}` outside the host can only be checked once variables are
/// resolved, so only their placeholders are checked here.
pub fn validate_entry(entry: &str) -> Result<(), OutboundHostError> {
    match AllowedHostConfig::parse(entry) {
        Ok(_) => Ok(()),
        Err(_) if entry.contains("{{") => validate::template_references(entry)
            .map(|_| ())
            .map_err(OutboundHostError::new),
        Err(e) => Err(e),
    }
}

/// Maps a deprecated `allowed_http_hosts` entry onto
/// `allowed_outbound_hosts` entries: `insecure:allow-all` becomes `*://*:*`,
/// `host[:port]` becomes an `http://` and an `https://` entry, and
/// `http(s)://host[:port]` is kept.
pub fn from_allowed_http_host(entry: &str) -> Result<Vec<String>, OutboundHostError> {
    let entry = entry.trim();
    if entry == "insecure:allow-all" {
        return Ok(vec!["*://*:*".into()]);
    }
    let candidates = if entry.contains("://") {
        vec![entry.trim_end_matches('/').to_string()]
    } else {
        let bare = entry.trim_end_matches('/');
        vec![format!("http://{bare}"), format!("https://{bare}")]
    };
    for candidate in &candidates {
        let parsed = AllowedHostConfig::parse(candidate).map_err(|e| OutboundHostError {
            message: format!("invalid allowed_http_hosts entry `{entry}`: {}", e.message),
            suggestion: None,
        })?;
        if !matches!(&parsed.scheme, SchemeConfig::Named(s) if s == "http" || s == "https") {
            return Err(OutboundHostError::suggest(
                format!("allowed_http_hosts entry `{entry}` must use http or https; use allowed_outbound_hosts for other schemes"),
                format!("allowed_outbound_hosts = [\"{entry}\"]"),
            ));
        }
    }
    Ok(candidates)
}

fn missing_scheme(entry: &str) -> OutboundHostError {
    if entry == "*" {
        return OutboundHostError::suggest(
            "`*` is not a valid entry: a scheme, host and port are needed",
            "*://*:*",
        );
    }
    let bare = entry.trim_end_matches('/');
    let suggestion = match bare.split_once('/') {
        Some((host, _)) => format!("https://{host}"),
        None => format!("https://{bare}"),
    };
    OutboundHostError::suggest(format!("`{entry}` has no scheme; {FORMAT}"), suggestion)
}

fn parse_scheme(scheme: &str, entry: &str) -> Result<SchemeConfig, OutboundHostError> {
    if scheme == "*" {
        return Ok(SchemeConfig::Any);
    }
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if valid {
        Ok(SchemeConfig::Named(scheme.to_ascii_lowercase()))
    } else {
        Err(OutboundHostError::new(format!(
            "`{entry}` has an invalid scheme `{scheme}`; {FORMAT}"
        )))
    }
}

/// Splits `host[:port]`; a `/` is a path unless it is a CIDR prefix.
fn split_host_port<'a>(
    rest: &'a str,
    entry: &str,
) -> Result<(&'a str, Option<&'a str>), OutboundHostError> {
    let path_error = |host: &str| {
        OutboundHostError::suggest(
            format!("`{entry}` contains a path; {FORMAT} (paths are not supported)"),
            entry
                .find("://")
                .map_or_else(String::new, |i| format!("{}{host}", &entry[..i + 3])),
        )
    };
    let (host, port) = if rest.starts_with('[') {
        // Bracketed IPv6, possibly with a CIDR prefix: `[::1]`, `[fe80::]/10:*`.
        let close = rest
            .find(']')
            .ok_or_else(|| OutboundHostError::new(format!("`{entry}` has an unclosed `[`")))?;
        let after = &rest[close + 1..];
        let (prefix, port) = match after.find(':') {
            Some(i) => (&after[..i], Some(&after[i + 1..])),
            None => (after, None),
        };
        if !(prefix.is_empty()
            || prefix
                .strip_prefix('/')
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit())))
        {
            return Err(path_error(&rest[..=close]));
        }
        (&rest[..close + 1 + prefix.len()], port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if let Some((before, _)) = host.split_once('/') {
        if !is_cidr(host) {
            return Err(path_error(before));
        }
    }
    if let Some(port) = port {
        if port.contains('/') {
            return Err(path_error(&format!(
                "{host}:{}",
                port.split('/').next().unwrap_or_default()
            )));
        }
    }
    Ok((host, port))
}

fn is_cidr(host: &str) -> bool {
    host.split_once('/').is_some_and(|(ip, prefix)| {
        ip.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok()
            && !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_digit())
    })
}

fn parse_host(host: &str, entry: &str) -> Result<HostConfig, OutboundHostError> {
    if host.is_empty() {
        return Err(OutboundHostError::new(format!(
            "`{entry}` has no host; {FORMAT}"
        )));
    }
    if host == "*" {
        return Ok(HostConfig::Any);
    }
    if host == "self" {
        return Ok(HostConfig::ToSelf);
    }
    if host.contains("{{") {
        validate::template_references(host).map_err(OutboundHostError::new)?;
        // Around its placeholders a template host is still a host name: no
        // spaces, control characters or stray braces, which would not
        // survive printing and parsing back (found by the fuzzer).
        if !template_literals_ok(host) {
            return Err(OutboundHostError::new(format!(
                "`{entry}`: `{host}` is not a valid host name around its `{{{{ }}}}` placeholders; {FORMAT}"
            )));
        }
        return Ok(HostConfig::Template(host.to_string()));
    }
    if let Some((ip, prefix)) = host.split_once('/') {
        let ip = parse_ip(ip).ok_or_else(|| {
            OutboundHostError::new(format!("`{entry}`: `{host}` is not a CIDR block"))
        })?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| {
                OutboundHostError::new(format!(
                    "`{entry}`: CIDR prefix length must be between 0 and {max}"
                ))
            })?;
        return Ok(HostConfig::Cidr(ip, prefix));
    }
    if let Some(ip) = parse_ip(host) {
        return Ok(HostConfig::Ip(ip));
    }
    if host.starts_with('[') {
        return Err(OutboundHostError::new(format!(
            "`{entry}`: `{host}` is not an IPv6 address"
        )));
    }
    let (wildcard, domain) = match host.strip_prefix("*.") {
        Some(domain) => (true, domain),
        None => (false, host),
    };
    if domain.contains('*') {
        return Err(OutboundHostError::suggest(
            format!("`{entry}`: `*` must be the whole host or a leading `*.`"),
            entry.replacen(host, "*", 1),
        ));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !domain.split('.').all(label_ok) {
        return Err(OutboundHostError::new(format!(
            "`{entry}`: `{host}` is not a valid host name; {FORMAT}"
        )));
    }
    let domain = domain.to_ascii_lowercase();
    Ok(if wildcard {
        HostConfig::AnySubdomain(domain)
    } else {
        HostConfig::Name(domain)
    })
}

/// Whether the text of a template host outside its `{{ … }}` placeholders
/// holds only host-name characters.
fn template_literals_ok(host: &str) -> bool {
    let host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut rest = host;
    loop {
        let (literal, placeholder) = match rest.find("{{") {
            Some(start) => (&rest[..start], Some(&rest[start + 2..])),
            None => (rest, None),
        };
        if !literal.chars().all(host_char) {
            return false;
        }
        let Some(placeholder) = placeholder else { return true };
        let Some(end) = placeholder.find("}}") else { return false };
        rest = &placeholder[end + 2..];
    }
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        None => text.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

fn parse_port(port: &str, entry: &str) -> Result<PortConfig, OutboundHostError> {
    let bad = || {
        OutboundHostError::new(format!(
            "`{entry}`: port `{port}` must be a number, a range `start..end`, or `*`"
        ))
    };
    if port == "*" {
        return Ok(PortConfig::Any);
    }
    if let Some((start, end)) = port.split_once("..") {
        let start = start.parse::<u16>().map_err(|_| bad())?;
        let end = end.parse::<u16>().map_err(|_| bad())?;
        if start >= end {
            return Err(OutboundHostError::new(format!(
                "`{entry}`: port range `{port}` is empty (the end is exclusive)"
            )));
        }
        return Ok(PortConfig::Range(start, end));
    }
    port.parse::<u16>().map(PortConfig::Port).map_err(|_| bad())
}

fn in_cidr(addr: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> AllowedHostConfig {
        AllowedHostConfig::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_each_host_and_port_form() {
        let c = parse("https://example.com");
        assert_eq!(c.scheme, SchemeConfig::Named("https".into()));
        assert_eq!(c.host, HostConfig::Name("example.com".into()));
        assert_eq!(c.port, PortConfig::Default);

        assert_eq!(parse("*://*:*").host, HostConfig::Any);
        assert_eq!(parse("*://*:*").scheme, SchemeConfig::Any);
        assert_eq!(parse("*://*:*").port, PortConfig::Any);
        assert_eq!(
            parse("https://*.example.com").host,
            HostConfig::AnySubdomain("example.com".into())
        );
        assert_eq!(
            parse("redis://127.0.0.1:6379").host,
            HostConfig::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(parse("redis://127.0.0.1:6379").port, PortConfig::Port(6379));
        assert_eq!(
            parse("http://[::1]:8080").host,
            HostConfig::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            parse("tcp://127.0.0.0/24:*").host,
            HostConfig::Cidr("127.0.0.0".parse().unwrap(), 24)
        );
        assert_eq!(
            parse("*://[fe80::]/10:*").host,
            HostConfig::Cidr("fe80::".parse().unwrap(), 10)
        );
        assert_eq!(parse("http://self").host, HostConfig::ToSelf);
        assert_eq!(
            parse("https://{{ api_host }}").host,
            HostConfig::Template("{{ api_host }}".into())
        );
        assert_eq!(
            parse("http://localhost:3000..3010").port,
            PortConfig::Range(3000, 3010)
        );
        assert_eq!(
            parse("https://example.com/").host,
            HostConfig::Name("example.com".into())
        );
        assert_eq!(
            parse("HTTPS://Example.COM:443").to_string(),
            "https://example.com:443"
        );
    }

    #[test]
    fn rejects_with_suggestions() {
        let e = AllowedHostConfig::parse("*").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("*://*:*"));
        let e = AllowedHostConfig::parse("example.com").unwrap_err();
        assert!(e.message.contains("no scheme"), "{e}");
        assert_eq!(e.suggestion.as_deref(), Some("https://example.com"));
        let e = AllowedHostConfig::parse("https://example.com/api/v1").unwrap_err();
        assert!(e.message.contains("path"), "{e}");
        assert_eq!(e.suggestion.as_deref(), Some("https://example.com"));
        let e = AllowedHostConfig::parse("https://example.com:443/api").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("https://example.com:443"));
        assert!(
            e.to_string()
                .ends_with("did you mean `https://example.com:443`?"),
            "{e}"
        );

        for bad in [
            "https://",
            "https://ex*mple.com",
            "https://example.com:http",
            "https://example.com:10..5",
            "https://example.com:70000",
            "https://user@example.com",
            "https://example.com?q=1",
            "ht tp://example.com",
            "tcp://10.0.0.0/33",
            "https://exa mple.com",
        ] {
            assert!(AllowedHostConfig::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let c = parse("https://example.com");
        assert!(c.allows("https", "example.com", 443));
        assert!(c.allows("HTTPS", "EXAMPLE.com", 443));
        assert!(!c.allows("http", "example.com", 80));
        assert!(!c.allows("https", "example.com", 8443));
        assert!(!c.allows("https", "api.example.com", 443));

        let c = parse("*://*.example.com:*");
        assert!(c.allows("redis", "db.example.com", 1));
        assert!(!c.allows("redis", "example.com", 1));
        assert!(!c.allows("redis", "badexample.com", 1));

        let c = parse("http://localhost:3000..3002");
        assert!(c.allows("http", "localhost", 3001));
        assert!(!c.allows("http", "localhost", 3002));

        let c = parse("*://10.1.0.0/16:*");
        assert!(c.allows("tcp", "10.1.200.3", 9));
        assert!(!c.allows("tcp", "10.2.0.1", 9));
        assert!(!c.allows("tcp", "example.com", 9));
        assert!(parse("*://0.0.0.0/0:*").allows("tcp", "8.8.8.8", 53));

        assert!(parse("http://[::1]:80").allows("http", "[::1]", 80));
        assert!(parse("*://self:*").allows("http", "self", 3000));
        assert!(!parse("https://{{ host }}").allows("https", "{{ host }}", 443));
    }

    #[test]
    fn template_hosts_are_host_names_around_their_placeholders() {
        assert_eq!(
            parse("https://{{ sub }}.example.com").host,
            HostConfig::Template("{{ sub }}.example.com".into())
        );
        assert!(AllowedHostConfig::parse("https://{{ a }}-{{ b }}.example.com:8443").is_ok());
        // From the fuzzer: a trailing `\r` that `trim` drops on re-parsing,
        // and braces outside any placeholder.
        for bad in ["http://}}}}{{k}}}BB&\r/\r", "http://{{ k }} x", "http://{{ k }}}", "http://{{ k"] {
            assert!(AllowedHostConfig::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn validate_entry_defers_templates_outside_the_host() {
        assert!(validate_entry("{{ endpoint }}").is_ok());
        assert!(validate_entry("https://example.com:{{ port }}").is_ok());
        assert!(validate_entry("{{ Bad }}").is_err());
        assert!(validate_entry("example.com").is_err());
    }

    #[test]
    fn allowed_http_hosts_mapping() {
        assert_eq!(
            from_allowed_http_host("insecure:allow-all").unwrap(),
            vec!["*://*:*"]
        );
        assert_eq!(
            from_allowed_http_host("example.com:8080").unwrap(),
            vec!["http://example.com:8080", "https://example.com:8080"]
        );
        assert_eq!(
            from_allowed_http_host("https://example.com/").unwrap(),
            vec!["https://example.com"]
        );
        assert!(from_allowed_http_host("redis://example.com").is_err());
        assert!(from_allowed_http_host("example.com/path").is_err());
    }
}
