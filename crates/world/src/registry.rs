//! The one table of capabilities the base linker implements: for each, the
//! interfaces it defines and how it links. [`crate::linker`] links every
//! entry and treats every listed interface as native, so an interface is
//! added, or dropped, in exactly one place and the "unavailable" stand-ins
//! follow.

use wasmtime::component::Linker;

use crate::HostState;

/// One capability: every interface version it binds (Preview 3 included).
pub struct Capability {
    /// The capability, as logs and docs name it.
    pub name: &'static str,
    /// The interfaces these bindings define, as the component model names
    /// them (`package/interface@version`).
    pub interfaces: &'static [&'static str],
    /// Adds the bindings to a linker.
    pub add_to_linker: fn(&mut Linker<HostState>) -> wasmtime::Result<()>,
}

/// Every capability, in linking order (WASI first: outbound HTTP's Preview 3
/// `send` shadows wasmtime's).
pub const CAPABILITIES: &[Capability] = &[
    // WASI's interfaces are matched by version line in `crate::linker`
    // (every stable 0.2.x and 0.3.x), not listed.
    Capability { name: "wasi", interfaces: &[], add_to_linker: crate::wasi::add_to_linker },
    Capability {
        name: "key-value",
        interfaces: crate::key_value::INTERFACES,
        add_to_linker: crate::key_value::add_to_linker,
    },
    Capability { name: "sqlite", interfaces: crate::sqlite::INTERFACES, add_to_linker: crate::sqlite::add_to_linker },
    Capability {
        name: "outbound-http",
        interfaces: crate::outbound_http::INTERFACES,
        add_to_linker: crate::outbound_http::add_to_linker,
    },
    // The `rdbms-types` interfaces PostgreSQL and MySQL share, linked once.
    Capability {
        name: "rdbms types",
        interfaces: crate::rdbms_common::TYPE_INTERFACES,
        add_to_linker: crate::rdbms_common::add_types_to_linker,
    },
    Capability {
        name: "postgres",
        interfaces: crate::postgres::INTERFACES,
        add_to_linker: crate::postgres::add_to_linker,
    },
    Capability { name: "mysql", interfaces: crate::mysql::INTERFACES, add_to_linker: crate::mysql::add_to_linker },
    Capability {
        name: "variables",
        interfaces: crate::variables::INTERFACES,
        add_to_linker: crate::variables::add_to_linker,
    },
    Capability { name: "mqtt", interfaces: crate::mqtt::INTERFACES, add_to_linker: crate::mqtt::add_to_linker },
    Capability { name: "redis", interfaces: crate::redis::INTERFACES, add_to_linker: crate::redis::add_to_linker },
];

/// Every interface some capability defines.
pub fn interfaces() -> impl Iterator<Item = &'static str> {
    CAPABILITIES.iter().flat_map(|c| c.interfaces.iter().copied())
}
