//! Bindings for components exporting the Spin 1 `fermyon:spin/inbound-http`
//! interface (WIT in `wit/deps/fermyon-spin`).

wasmtime::component::bindgen!({
    path: "wit",
    world: "fermyon:spin/inbound-http-guest",
    exports: { default: async },
});

pub use exports::fermyon::spin::inbound_http::{Request, Response};
pub use fermyon::spin::http_types::Method;
