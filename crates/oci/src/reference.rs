//! Registry references: `registry/repository[:tag][@digest]`.

use oci_client::Reference;

use crate::OciError;

/// Parses a reference (`localhost:5000/app:v1`, `ghcr.io/me/app@sha256:…`).
/// A reference without a tag or digest means `:latest`.
pub fn parse(reference: &str) -> Result<Reference, OciError> {
    let invalid = |message: String| OciError::InvalidReference { reference: reference.to_string(), message };
    let parsed = reference.parse::<Reference>().map_err(|e| invalid(e.to_string()))?;
    // The parser lets capitals through; registries refuse them (NAME_INVALID).
    let repository = parsed.repository();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/');
    if !repository.chars().all(allowed) {
        return Err(invalid(format!(
            "repository `{repository}` may only hold lowercase letters, digits, `.`, `_`, `-` and `/`"
        )));
    }
    Ok(parsed)
}

/// Whether `-f VALUE` that is not an existing path should be read as a
/// registry reference: it parses, and names a registry host (a first
/// segment with `.` or `:`, or `localhost`) or a tag or digest. This keeps a
/// mistyped folder name an error about a missing path.
pub fn looks_like_reference(value: &str) -> bool {
    if value.ends_with(".toml") || value.ends_with(".wasm") || value.starts_with('.') || value.starts_with('/') {
        return false;
    }
    if parse(value).is_err() {
        return false;
    }
    let (first, rest) = value.split_once('/').unwrap_or(("", value));
    let host = !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost");
    host || rest.contains(':') || rest.contains('@')
}

/// The registry host, as credentials are keyed (`docker.io` for Docker Hub).
pub fn registry_of(reference: &Reference) -> String {
    reference.resolve_registry().trim_end_matches('/').to_string()
}

/// Whether the registry is on this machine, where plain HTTP is the norm
/// (as Docker treats `localhost`).
pub fn is_local(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.split(':').next().unwrap_or(registry),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_paths_are_told_apart() {
        assert!(looks_like_reference("localhost:5000/app:v1"));
        assert!(looks_like_reference("127.0.0.1:5000/app"));
        assert!(looks_like_reference("ghcr.io/me/app"));
        assert!(looks_like_reference("app:v1"));
        assert!(!looks_like_reference("my-app"));
        assert!(!looks_like_reference("apps/hello"));
        assert!(!looks_like_reference("spin.toml"));
        assert!(!looks_like_reference("./x:y"));
        assert!(!looks_like_reference("Bad Ref:v1"));
    }

    #[test]
    fn local_registries() {
        assert!(is_local("localhost:5000"));
        assert!(is_local("127.0.0.1:41234"));
        assert!(is_local("[::1]:5000"));
        assert!(!is_local("ghcr.io"));
        assert!(!is_local("registry.local:5000"));
    }

    #[test]
    fn bad_reference_is_a_clear_error() {
        let err = parse("UPPER/case:v1").unwrap_err().to_string();
        assert!(err.contains("invalid registry reference `UPPER/case:v1`"), "{err}");
    }
}
