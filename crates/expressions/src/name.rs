//! Variable names.
//!
//! Spin's rules, which are stricter than "an identifier" so that every name
//! maps one-to-one onto an environment variable (`api_key` is
//! `SPIN_VARIABLE_API_KEY`) and onto a path segment (a Vault secret): only
//! lowercase ASCII letters, digits and `_`; a letter first; no `_` last; no
//! `__` anywhere.

/// Why `name` is not a valid variable name, or `None` when it is.
pub fn problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("must not be empty".to_string());
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Some(format!(
            "contains {bad:?}; names may contain only lowercase letters, digits and `_`"
        ));
    }
    if !first.is_ascii_lowercase() {
        return Some("must start with a lowercase letter".to_string());
    }
    if name.ends_with('_') {
        return Some("must not end with `_`".to_string());
    }
    if name.contains("__") {
        return Some("must not contain `__`".to_string());
    }
    None
}

/// Whether `name` is a valid variable name.
pub fn is_valid(name: &str) -> bool {
    problem(name).is_none()
}

/// [`problem`] for use in messages, where the name is known to be invalid.
pub fn explain(name: &str) -> String {
    problem(name).unwrap_or_else(|| "it is valid".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edge cases of Spin's rule (its `LowerSnakeId`: `_`-separated
    /// words, none empty, the first starting with a letter).
    #[test]
    fn spin_edge_cases() {
        assert!(is_valid("a_1"));
        for (name, reason) in [
            ("a_1_", "must not end with `_`"),
            ("a__b", "must not contain `__`"),
            ("1a", "must start with a lowercase letter"),
            ("A", "contains 'A'"),
            ("", "must not be empty"),
        ] {
            assert_eq!(problem(name).as_deref().map(|p| p.contains(reason)), Some(true), "{name:?}");
        }
    }

    #[test]
    fn valid_names() {
        for name in ["a", "abc", "api_key", "a1b2c3", "a_1", "a_1_b_3", "v2"] {
            assert!(is_valid(name), "{name}");
        }
    }

    #[test]
    fn invalid_names_say_why() {
        let cases = [
            ("", "must not be empty"),
            ("aX", "contains 'X'"),
            ("API_KEY", "contains 'A'"),
            ("x.y", "contains '.'"),
            ("x-y", "contains '-'"),
            ("1bc", "must start with a lowercase letter"),
            ("_x", "must start with a lowercase letter"),
            ("x_", "must not end with `_`"),
            ("a__b", "must not contain `__`"),
        ];
        for (name, reason) in cases {
            let problem = problem(name).unwrap_or_default();
            assert!(problem.contains(reason), "{name:?}: {problem}");
        }
    }
}
