//! WebAssembly text: `.wat` sources are assembled before anything else sees
//! them, so hand-written fixtures can be served like built guests.

use std::borrow::Cow;

use crate::EngineError;

/// `bytes` as binary WebAssembly: binary input unchanged, text assembled.
/// Anything that is neither is returned unchanged for
/// [`crate::WasmKind::detect`] to reject.
pub(crate) fn to_binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, EngineError> {
    if bytes.starts_with(b"\0asm") || !looks_like_text(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    wat::parse_bytes(bytes)
        .map_err(|err| EngineError::Malformed(format!("WebAssembly text: {err}")))
}

/// Text format starts, after whitespace, with `(` or a `;;` comment.
fn looks_like_text(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii_start();
    trimmed.starts_with(b"(") || trimmed.starts_with(b";;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_assembled_and_other_bytes_pass_through() {
        let binary = to_binary(b";; a comment\n(module)").expect("valid text");
        assert!(binary.starts_with(b"\0asm"));
        assert!(matches!(to_binary(b"hello"), Ok(Cow::Borrowed(b"hello"))));
        let err = to_binary(b"(module (func (export)))").expect_err("bad text");
        assert!(err.to_string().contains("WebAssembly text"), "{err}");
    }

    #[test]
    fn every_fixture_in_the_repository_compiles() {
        let engine = crate::KilnEngine::new(crate::EngineConfig {
            pooling: false,
            cache_dir: None,
            ..Default::default()
        })
        .expect("engine");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/fixtures");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("guests/fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "wat") {
                continue;
            }
            let bytes = std::fs::read(&path).expect("read fixture");
            let loaded = match crate::WasmKind::detect(&to_binary(&bytes).expect("assembles")) {
                Ok(crate::WasmKind::Module) => engine.load_module(&bytes).map(drop),
                _ => engine.load_component(&bytes).map(drop),
            };
            assert!(loaded.is_ok(), "{}: {:?}", path.display(), loaded.err());
            seen += 1;
        }
        assert!(seen > 0, "no fixtures found in {}", dir.display());
    }
}
