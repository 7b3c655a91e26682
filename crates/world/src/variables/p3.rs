//! Variables for Preview 3 guests: Spin 3 `spin:variables/variables@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! `get` is an `async func`, so it is a concurrent host function: it takes
//! what it needs from the [`HostState`] inside one short [`Accessor::with`]
//! call and resolves with the store released (a provider such as Vault may
//! take a network round trip). It answers from the same
//! [`kiln_variables::Resolver`] as [`crate::variables`], for the calling
//! component's own variables, with Spin 2's error cases.

use kiln_variables::Error;
use wasmtime::component::{Accessor, HasSelf, Linker};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/variables-p3",
        imports: { default: async | trappable },
    });
}

use bindings::spin::variables::variables as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["spin:variables/variables@3.0.0"];

/// Adds `spin:variables/variables@3.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::VariablesP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

fn v3_error(err: Error) -> v3::Error {
    match err {
        Error::InvalidName(name) => v3::Error::InvalidName(name),
        Error::Undefined(name) => v3::Error::Undefined(name),
        Error::Provider(message) => v3::Error::Provider(message),
        other => v3::Error::Other(other.to_string()),
    }
}

impl v3::Host for HostState {}

impl<T> v3::HostWithStore<T> for HasSelf<HostState> {
    async fn get(accessor: &Accessor<T, Self>, name: String) -> wasmtime::Result<Result<String, v3::Error>> {
        let (variables, component) = accessor.with(|mut access| {
            let state = access.get();
            (state.caps.variables.clone(), state.component_id.clone())
        });
        Ok(variables.resolve(&component, &name).await.map_err(v3_error))
    }
}
