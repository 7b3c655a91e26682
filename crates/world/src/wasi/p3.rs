//! WASI 0.3 (Preview 3): the `wasi:cli`, `wasi:clocks`, `wasi:filesystem`,
//! `wasi:random`, `wasi:sockets` and `wasi:http` `@0.3.x` interfaces, from the
//! experimental `p3` modules of `wasmtime-wasi` / `wasmtime-wasi-http` 48.
//!
//! They share [`HostState`]'s WASI context, resource table and `wasi:http`
//! hooks with the 0.2 line (so outbound HTTP is denied the same way), and are
//! linked beside it: a Preview 3 guest built for `wasm32-wasip2` imports both
//! (Rust's standard library still speaks WASI 0.2).
//!
//! Functions of these interfaces are `async` (component-model async ABI), so
//! the engine needs `Config::wasm_component_model_async` and a guest must be
//! called inside `Store::run_concurrent`.

use wasmtime::component::Linker;

use crate::HostState;

/// The `@0.3.x` interfaces [`add_to_linker`] defines, as `package/interface`.
/// `wasi:clocks/timezone` is unstable in wasmtime 48 and not linked;
/// `wasi:http/handler` is an export (a guest importing it, as Spin middleware
/// does, gets a stand-in from [`crate::unavailable`]).
const INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/types",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/system-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/types",
    "wasi:sockets/ip-name-lookup",
    "wasi:http/types",
    "wasi:http/client",
];

/// Adds the WASI 0.3 interfaces and `wasi:http@0.3` (`types`, `client`) to
/// `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p3::add_to_linker(linker)?;
    wasmtime_wasi_http::p3::add_to_linker(linker)?;
    Ok(())
}

/// Whether [`add_to_linker`] provides `import` (`package/interface@version`):
/// one of its interfaces at a stable `0.3.x` version. Release candidates and
/// snapshots of 0.3 are not the ABI wasmtime 48 implements.
pub(crate) fn is_native(import: &str) -> bool {
    import.rsplit_once('@').is_some_and(|(interface, version)| {
        INTERFACES.contains(&interface) && version.starts_with("0.3.") && !version.contains('-')
    })
}

#[cfg(test)]
mod tests {
    use super::is_native;

    #[test]
    fn native_interfaces_are_the_stable_wasi_03_line() {
        assert!(is_native("wasi:http/types@0.3.0"));
        assert!(is_native("wasi:cli/stdout@0.3.0"));
        assert!(is_native("wasi:clocks/system-clock@0.3.1"));
        assert!(!is_native("wasi:http/types@0.3.0-rc-2025-09-16"));
        assert!(!is_native("wasi:http/handler@0.3.0"));
        assert!(!is_native("wasi:clocks/timezone@0.3.0"));
        assert!(!is_native("wasi:http/types@0.2.6"));
        assert!(!is_native("spin:key-value/key-value@3.0.0"));
    }
}
