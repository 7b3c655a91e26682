//! Variables for Preview 3 guests: Spin 3 `spin:variables/variables@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! `get` is an `async func`, so it is a concurrent host function: it takes
//! what it needs from the [`HostState`] inside one short [`Accessor::with`]
//! call and resolves with the store released (a provider such as Vault may
//! take a network round trip). It answers from the same
//! [`kiln_variables::Resolver`] as [`super`], for the calling
//! component's own variables, with Spin 2's error cases.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use wasmtime::component::HasSelf;

use super::spin_error;
use crate::shared::{caps, Trappable, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/variables-p3" => VariablesP3);

use bindings::spin::variables::variables as v3;

impl v3::Host for HostState {}

impl<T> v3::HostWithStore<T> for HasSelf<HostState> {
    async fn get(accessor: &P3<T>, name: String) -> Trappable<Result<String, v3::Error>> {
        let (caps, component) = caps(accessor);
        Ok(caps.variables.resolve(&component, &name).await.map_err(|err| spin_error!(err, v3)))
    }
}
