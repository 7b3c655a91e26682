//! Bindings for components exporting Spin's `fermyon:spin/inbound-redis`
//! (unversioned; what `#[redis_component]` of every Spin SDK up to 5.x
//! exports), called by the Redis trigger for each message.

wasmtime::component::bindgen!({
    path: "wit",
    world: "fermyon:spin/inbound-redis-guest",
    exports: { default: async },
});

/// The export's interface name, as the component model names it.
pub const EXPORT: &str = "fermyon:spin/inbound-redis";

pub use fermyon::spin::redis_types::Error;
