//! Syntax rules for ids, names, routes, digests and templates.
//!
//! Each check returns a message saying what was expected, so callers can
//! attach it to a located error.

/// Prefix Spin reserves for its own endpoints.
pub const RESERVED_ROUTE_PREFIX: &str = "/.well-known/spin/";

/// Checks a component or trigger id: lowercase words of letters and digits,
/// each starting with a letter, joined by `-` or `_` (`hello`, `api-v2`,
/// `my_component`).
pub fn check_id(id: &str) -> Result<(), String> {
    const RULE: &str =
        "ids are lowercase words of letters and digits, each starting with a letter, \
                        joined by `-` or `_` (e.g. `hello-world`)";
    if id.is_empty() {
        return Err(format!("id must not be empty; {RULE}"));
    }
    for word in id.split(['-', '_']) {
        let mut chars = word.chars();
        let reason = match chars.next() {
            None => Some("has an empty word (leading, trailing or doubled `-`/`_`)".to_string()),
            Some(c) if !c.is_ascii_lowercase() => Some(format!(
                "has a word starting with {c:?}, which is not a lowercase letter"
            )),
            Some(_) => chars
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
                .map(|c| format!("contains {c:?}")),
        };
        if let Some(reason) = reason {
            return Err(format!("invalid id `{id}`: it {reason}; {RULE}"));
        }
    }
    Ok(())
}

/// Checks a variable name against Spin's rule (`kiln_expressions::name`):
/// lowercase letters, digits and `_`, starting with a letter, no `__`, not
/// ending in `_`.
pub fn check_variable_name(name: &str) -> Result<(), String> {
    match kiln_expressions::name::problem(name) {
        None => Ok(()),
        Some(reason) => Err(format!(
            "invalid variable name `{name}`: {reason}; use lowercase letters, digits and `_`, starting with a letter \
             (e.g. `api_key`)"
        )),
    }
}

/// Checks an HTTP route: starts with `/`, `...` only as the last segment,
/// `:name` parameters named, nothing under the reserved Spin prefix.
pub fn check_route(route: &str) -> Result<(), String> {
    if !route.starts_with('/') {
        return Err(format!(
            "route `{route}` must start with `/` (e.g. `/{route}`)"
        ));
    }
    if route.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "route `{route}` must not contain whitespace or control characters"
        ));
    }
    if route == RESERVED_ROUTE_PREFIX.trim_end_matches('/')
        || route.starts_with(RESERVED_ROUTE_PREFIX)
    {
        return Err(format!(
            "route `{route}` is reserved: `{RESERVED_ROUTE_PREFIX}` is used by the platform"
        ));
    }
    let segments: Vec<&str> = route[1..].split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        if *segment == "..." && i != last {
            return Err(format!(
                "route `{route}`: the wildcard `/...` may only be the last segment"
            ));
        }
        if let Some(name) = segment.strip_prefix(':') {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "route `{route}`: parameter segment `{segment}` needs a name of letters, digits, `_` or `-` \
                     (e.g. `:id`)"
                ));
            }
        }
    }
    Ok(())
}

/// Checks a content digest: `sha256:` followed by 64 hex digits.
pub fn check_digest(digest: &str) -> Result<(), String> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) => Ok(()),
        _ => Err(format!(
            "invalid digest `{digest}`: expected `sha256:` followed by 64 hex digits"
        )),
    }
}

/// Checks a dependency name: a WIT package or interface name such as
/// `example:pkg`, `example:pkg/iface` or `example:pkg/iface@1.0.0`.
pub fn check_dependency_name(name: &str) -> Result<(), String> {
    let unversioned = name.split_once('@').map_or(name, |(n, _)| n);
    let package = unversioned.split_once('/').map_or(unversioned, |(p, _)| p);
    let valid_word =
        |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    match package.split_once(':') {
        Some((ns, pkg)) if valid_word(ns) && valid_word(pkg) => Ok(()),
        _ => Err(format!(
            "invalid dependency name `{name}`: expected a WIT package or interface name such as `example:pkg` or \
             `example:pkg/iface@1.0.0`"
        )),
    }
}

/// The variable names referenced by `{{ name }}` placeholders in `text`,
/// in order; errors on an unclosed or malformed placeholder.
pub fn template_references(text: &str) -> Result<Vec<String>, String> {
    use kiln_expressions::{Template, TemplateError};
    match Template::parse(text) {
        Ok(template) => Ok(template.references().map(str::to_string).collect()),
        Err(TemplateError::Unclosed(_)) => Err(format!("template `{text}` has an unclosed `{{{{`")),
        Err(TemplateError::InvalidName { name, .. }) => {
            let e = check_variable_name(&name).err().unwrap_or_default();
            Err(format!("template `{text}`: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for good in ["hello", "api-v2", "my_component", "a1-b2_c3"] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        for bad in ["", "Hello", "2fa", "a--b", "a-", "-a", "a-2", "a.b", "a b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert!(check_id("Hello").unwrap_err().contains("'H'"));
    }

    #[test]
    fn variable_names() {
        for good in ["a", "api_key", "v2", "a_1"] {
            assert!(check_variable_name(good).is_ok(), "{good}");
        }
        // Spin's rule: `a_1_` and `a__b` are refused, as by the resolver.
        for bad in ["", "Api", "A", "1a", "_a", "a-b", "a.b", "a_1_", "a__b"] {
            assert!(check_variable_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routes() {
        for good in [
            "/",
            "/hello",
            "/hello/...",
            "/...",
            "/users/:id",
            "/a/:id/b/...",
            "/.well-known/other",
        ] {
            assert!(check_route(good).is_ok(), "{good}");
        }
        assert!(check_route("hello")
            .unwrap_err()
            .contains("must start with `/`"));
        assert!(check_route("/a/.../b")
            .unwrap_err()
            .contains("last segment"));
        assert!(check_route("/a/:/b").unwrap_err().contains("parameter"));
        assert!(check_route("/a b").is_err());
        assert!(check_route("/.well-known/spin/info")
            .unwrap_err()
            .contains("reserved"));
        assert!(check_route("/.well-known/spin")
            .unwrap_err()
            .contains("reserved"));
    }

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        assert!(check_digest(&format!("sha256:{hex}")).is_ok());
        assert!(check_digest(&hex).is_err());
        assert!(check_digest("sha256:abc").is_err());
        assert!(check_digest(&format!("sha512:{hex}")).is_err());
    }

    #[test]
    fn dependency_names() {
        for good in [
            "example:pkg",
            "example:pkg/iface",
            "wasi:http/types@0.2.0",
            "a:b@1.0.0",
        ] {
            assert!(check_dependency_name(good).is_ok(), "{good}");
        }
        for bad in ["pkg", ":pkg", "ex:", "ex:p kg"] {
            assert!(check_dependency_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates() {
        assert_eq!(template_references("plain").unwrap(), Vec::<String>::new());
        assert_eq!(
            template_references("{{ a }}-{{b_2}}").unwrap(),
            vec!["a", "b_2"]
        );
        assert!(template_references("{{ a")
            .unwrap_err()
            .contains("unclosed"));
        assert!(template_references("{{ Bad }}")
            .unwrap_err()
            .contains("invalid variable name"));
    }
}
