//! Variables host bindings: Spin 1 `fermyon:spin/config`, Spin 2
//! `fermyon:spin/variables@2.0.0` and `wasi:config/store@0.2.0-draft-2024-09-27`,
//! all answering from the app's [`kiln_variables::Resolver`] for the calling
//! component's own `variables`.

use kiln_variables::Error;
use wasmtime::component::{HasSelf, Linker};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/variables",
        imports: { default: async | trappable },
    });
}

use bindings::fermyon::spin::config as v1;
use bindings::fermyon::spin2_0_0::variables as v2;
use bindings::wasi::config::store as wasi_config;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/config",
    "fermyon:spin/variables@2.0.0",
    "wasi:config/store@0.2.0-draft-2024-09-27",
];

/// Adds every variables interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Variables::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

impl HostState {
    /// Resolves one of the component's variables. The future owns what it
    /// needs, so it does not hold the state (which is not `Sync`).
    fn variable(&self, name: String) -> impl std::future::Future<Output = Result<String, Error>> + Send + 'static {
        let (variables, component) = (self.caps.variables.clone(), self.component_id.clone());
        async move { variables.resolve(&component, &name).await }
    }
}

impl v2::Host for HostState {
    async fn get(&mut self, name: String) -> Trappable<Result<String, v2::Error>> {
        Ok(self.variable(name).await.map_err(|err| match err {
            Error::InvalidName(name) => v2::Error::InvalidName(name),
            Error::Undefined(name) => v2::Error::Undefined(name),
            Error::Provider(message) => v2::Error::Provider(message),
            other => v2::Error::Other(other.to_string()),
        }))
    }
}

impl v1::Host for HostState {
    async fn get_config(&mut self, key: String) -> Trappable<Result<String, v1::Error>> {
        Ok(self.variable(key).await.map_err(|err| match err {
            // Spin 1 has one case for both a malformed and an unknown key.
            Error::InvalidName(name) | Error::Undefined(name) => v1::Error::InvalidKey(name),
            Error::Provider(message) => v1::Error::Provider(message),
            other => v1::Error::Other(other.to_string()),
        }))
    }
}

impl wasi_config::Host for HostState {
    async fn get(&mut self, key: String) -> Trappable<Result<Option<String>, wasi_config::Error>> {
        Ok(match self.variable(key).await {
            Ok(value) => Ok(Some(value)),
            // WASI config has no "undefined" error: an unknown key is `none`.
            Err(Error::InvalidName(_) | Error::Undefined(_)) => Ok(None),
            Err(err) => Err(wasi_config::Error::Upstream(err.to_string())),
        })
    }

    async fn get_all(&mut self) -> Trappable<Result<Vec<(String, String)>, wasi_config::Error>> {
        let (variables, component) = (self.caps.variables.clone(), self.component_id.clone());
        let all = variables.resolve_all(&component).await;
        Ok(all.map_err(|err| wasi_config::Error::Upstream(err.to_string())))
    }
}
