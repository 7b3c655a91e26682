//! Bindings for Redis-trigger components, called by the Redis trigger for
//! each message:
//!
//! * at the top level, components exporting Spin's
//!   `fermyon:spin/inbound-redis` (unversioned; what `#[redis_component]` of
//!   every Spin SDK up to 5.x exports);
//! * in [`p3`], Preview 3 components exporting
//!   `spin:redis/inbound-redis@3.0.0` (`#[redis_subscriber]`, spin-sdk 7),
//!   whose `handle-message` is an `async func`.

wasmtime::component::bindgen!({
    path: "wit",
    world: "fermyon:spin/inbound-redis-guest",
    exports: { default: async },
});

/// The export's interface name, as the component model names it.
pub const EXPORT: &str = "fermyon:spin/inbound-redis";

pub use fermyon::spin::redis_types::Error;

/// `spin:redis/inbound-redis@3.0.0`: its `handle-message` must be called
/// inside `Store::run_concurrent`, with an `Accessor`.
pub mod p3 {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/inbound-redis-p3",
        exports: { default: async | store },
    });

    /// The export's interface name, as the component model names it.
    pub const EXPORT: &str = "spin:redis/inbound-redis@3.0.0";

    pub use spin::redis::redis::Error;
}
