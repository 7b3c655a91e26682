//! The linker shared by every component of every app.

use wasmtime::component::{Component, Linker};
use wasmtime::Engine;

use crate::HostState;

/// Interface namespaces the base linker implements natively; everything else
/// a component imports is linked by [`crate::unavailable`].
const NATIVE_PACKAGES: &[&str] = &[
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
    "wasi:http/",
];

/// Builds the base linker: every capability of
/// [`crate::registry::CAPABILITIES`] in every version — WASI 0.2 plus
/// `wasi:http`, beside them the WASI 0.3 interfaces plus `wasi:http@0.3`
/// (see [`crate::wasi`]), and Spin's interfaces (Preview 3's `async func`
/// ones included).
pub fn base_linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    for capability in crate::registry::CAPABILITIES {
        (capability.add_to_linker)(&mut linker)?;
    }
    Ok(linker)
}

/// A linker for one component: the base linker plus stand-ins for every
/// imported interface the base does not implement. Returns the names of the
/// interfaces linked as unavailable (for the startup log).
pub fn component_linker(
    base: &Linker<HostState>,
    component: &Component,
) -> wasmtime::Result<(Linker<HostState>, Vec<String>)> {
    let mut linker = base.clone();
    let engine = component.engine().clone();
    let mut stubbed = Vec::new();
    for (name, item) in component.component_type().imports(&engine) {
        if is_native(name) {
            continue;
        }
        crate::unavailable::link_import(&mut linker, &engine, name, &item.ty)?;
        stubbed.push(name.to_string());
    }
    Ok((linker, stubbed))
}

/// Whether the base linker provides this import natively. Only the stable
/// 0.2 line and the 0.3 interfaces of [`crate::wasi::p3`] are; release candidates
/// are linked as unavailable.
fn is_native(import: &str) -> bool {
    let stable_02 = NATIVE_PACKAGES.iter().any(|p| import.starts_with(p))
        && import
            .rsplit_once('@')
            .is_some_and(|(_, version)| version.starts_with("0.2.") && !version.contains('-'));
    stable_02 || crate::wasi::p3::is_native(import) || is_capability(import)
}

/// Whether `import` is one of the capability interfaces the base linker
/// defines (see [`crate::registry`]). At 1.0 and above an import is served by a definition of the same
/// major version that is at least as new (as wasmtime's linker matches them:
/// `@2.0.1` is not served by `@2.0.0`'s definitions if it added functions,
/// so only older or equal imports count); below 1.0 versions match exactly.
fn is_capability(import: &str) -> bool {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    crate::registry::interfaces().any(|provided| {
        let (p_name, p_version) = provided.split_once('@').unwrap_or((provided, ""));
        p_name == name && (p_version == version || served_by(version, p_version))
    })
}

/// Whether an import at `wanted` can be served by a definition at `defined`:
/// same major version (at least 1), and no newer than it.
fn served_by(wanted: &str, defined: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    match (parse(wanted), parse(defined)) {
        (Some(w), Some(d)) => w.0 >= 1 && w.0 == d.0 && w <= d,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_native;

    #[test]
    fn native_interfaces_are_the_stable_wasi_02_and_03_lines() {
        assert!(is_native("wasi:io/streams@0.2.0"));
        assert!(is_native("wasi:http/types@0.2.3"));
        assert!(!is_native("wasi:http/types@0.2.0-rc-2023-11-10"));
        assert!(is_native("wasi:http/types@0.3.0"));
        assert!(!is_native("wasi:http/handler@0.3.0"));
        assert!(!is_native("wasi:keyvalue/store@0.3.0"));
    }

    #[test]
    fn capability_interfaces_are_native_in_every_version_kiln_implements() {
        assert!(is_native("fermyon:spin/key-value@2.0.0"));
        assert!(is_native("fermyon:spin/key-value"));
        assert!(!is_native("fermyon:spin/sqlite@2.0.1"));
        // 3.1.0 is defined; it serves 3.0.0 imports too, but not a newer
        // 3.x whose additions it lacks.
        assert!(is_native("spin:sqlite/sqlite@3.1.0"));
        assert!(is_native("spin:sqlite/sqlite@3.0.0"));
        assert!(!is_native("spin:sqlite/sqlite@3.2.0"));
        assert!(is_native("wasi:keyvalue/store@0.2.0-draft2"));
        assert!(is_native("wasi:keyvalue/batch@0.2.0-draft2"));
        assert!(is_native("wasi:config/store@0.2.0-draft-2024-09-27"));
        assert!(is_native("fermyon:spin/config"));
        assert!(!is_native("wasi:keyvalue/store@0.2.0-draft"));
        // Preview 3's `async func` interfaces.
        assert!(is_native("spin:key-value/key-value@3.0.0"));
        assert!(!is_native("spin:key-value/key-value@3.0.1"));
        assert!(is_native("spin:variables/variables@3.0.0"));
        assert!(is_native("spin:redis/redis@3.0.0"));
        assert!(!is_native("spin:redis/redis@3.1.0"));
        assert!(is_native("spin:mysql/mysql@3.0.0"));
        assert!(is_native("fermyon:spin/redis@2.0.0"));
        assert!(is_native("fermyon:spin/redis"));
        assert!(is_native("fermyon:spin/redis-types"));
        assert!(!is_native("spin:sqlite/sqlite@4.0.0"));
        assert!(is_native("fermyon:spin/mqtt@2.0.0"));
        assert!(is_native("spin:mqtt/mqtt@3.0.0"));
        // 4.2.0 (Preview 3) serves 4.1.0 imports; 4.0.0 has its own.
        assert!(is_native("spin:postgres/postgres@4.2.0"));
        assert!(is_native("spin:postgres/postgres@4.1.0"));
        assert!(is_native("spin:postgres/postgres@4.0.0"));
        assert!(!is_native("spin:postgres/postgres@4.3.0"));
    }
}
