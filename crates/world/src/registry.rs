//! The one table of capabilities the base linker implements: for each, the
//! interfaces it defines and how it links. [`crate::linker`] links every
//! entry and treats every listed interface as native, so an interface is
//! added, or dropped, in exactly one place and the "unavailable" stand-ins
//! follow.

use wasmtime::component::Linker;

use crate::HostState;

/// One capability's bindings for one family of interface versions.
pub struct Capability {
    /// The capability, as logs and docs name it.
    pub name: &'static str,
    /// The interfaces these bindings define, as the component model names
    /// them (`package/interface@version`).
    pub interfaces: &'static [&'static str],
    /// Adds the bindings to a linker.
    pub add_to_linker: fn(&mut Linker<HostState>) -> wasmtime::Result<()>,
}

/// Every capability binding, in linking order.
pub const CAPABILITIES: &[Capability] = &[
    Capability {
        name: "key-value",
        interfaces: crate::key_value::INTERFACES,
        add_to_linker: crate::key_value::add_to_linker,
    },
    Capability {
        name: "key-value (Preview 3)",
        interfaces: crate::key_value_p3::INTERFACES,
        add_to_linker: crate::key_value_p3::add_to_linker,
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
    // Every version, Preview 3 included.
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
    Capability {
        name: "variables (Preview 3)",
        interfaces: crate::variables_p3::INTERFACES,
        add_to_linker: crate::variables_p3::add_to_linker,
    },
    Capability { name: "mqtt", interfaces: crate::mqtt::INTERFACES, add_to_linker: crate::mqtt::add_to_linker },
    Capability {
        name: "mqtt (Preview 3)",
        interfaces: crate::mqtt_p3::INTERFACES,
        add_to_linker: crate::mqtt_p3::add_to_linker,
    },
    Capability { name: "redis", interfaces: crate::redis::INTERFACES, add_to_linker: crate::redis::add_to_linker },
    Capability {
        name: "redis (Preview 3)",
        interfaces: crate::redis_p3::INTERFACES,
        add_to_linker: crate::redis_p3::add_to_linker,
    },
];

/// Every interface some capability defines.
pub fn interfaces() -> impl Iterator<Item = &'static str> {
    CAPABILITIES.iter().flat_map(|c| c.interfaces.iter().copied())
}
