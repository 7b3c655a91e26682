//! Turning core modules into components with the WASI preview1 adapter.

use crate::EngineError;

/// What a blob of guest bytes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKind {
    /// A core WebAssembly module.
    Module,
    /// A WebAssembly component.
    Component,
}

impl WasmKind {
    /// Classifies bytes by their preamble; anything else is an error that says
    /// what is wrong (not Wasm at all, or an unknown version/layer).
    pub fn detect(bytes: &[u8]) -> Result<Self, EngineError> {
        if !bytes.starts_with(b"\0asm") {
            return Err(EngineError::NotWasm);
        }
        if wasmparser::Parser::is_component(bytes) {
            Ok(Self::Component)
        } else if wasmparser::Parser::is_core_wasm(bytes) {
            Ok(Self::Module)
        } else {
            Err(EngineError::Malformed(
                "unsupported WebAssembly version or layer".into(),
            ))
        }
    }
}

/// Wraps a core module into a component.
///
/// The module's own component-type custom sections (written by wit-bindgen,
/// as in `wasm32-wasip1` Spin SDK builds) define its world; its
/// `wasi_snapshot_preview1` imports are satisfied by the reactor adapter,
/// which speaks WASI 0.2 to the host.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>, EngineError> {
    let adapter =
        wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(module)
        .and_then(|encoder| encoder.adapter("wasi_snapshot_preview1", adapter))
        .and_then(|mut encoder| encoder.encode())
        .map_err(EngineError::Componentize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds_and_rejects_garbage() {
        let module = wat_module("(module)");
        assert_eq!(WasmKind::detect(&module).ok(), Some(WasmKind::Module));
        assert!(matches!(WasmKind::detect(b"hello"), Err(EngineError::NotWasm)));
        assert!(matches!(
            WasmKind::detect(b"\0asm\x63\0\0\0"),
            Err(EngineError::Malformed(_))
        ));
    }

    #[test]
    fn componentizes_a_wasi_module() {
        let module = wat_module(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write"
                    (func (param i32 i32 i32 i32) (result i32)))
                (memory (export "memory") 1)
                (func (export "_start")))"#,
        );
        let component = componentize(&module).expect("componentize");
        assert_eq!(WasmKind::detect(&component).ok(), Some(WasmKind::Component));
    }

    fn wat_module(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("valid wat")
    }
}
