//! Variables: every interface version answering from the app's
//! [`kiln_variables::Resolver`], for the calling component's own variables.
//!
//! * Runtime config: `[[variables_provider]]` (or `[[config_provider]]`) sections
//!   (parsed by `kiln-runtime-config`), made into providers by `providers`
//!   behind `--variable` values and the environment.
//! * App state: the app's `Resolver` (in [`crate::AppCapabilities`]), which
//!   checks at startup that every required variable has a value.
//! * Per-instance state: none; each call resolves for the instance's
//!   component.
//! * Bindings: Spin 1 `fermyon:spin/config` (`spin1`), Spin 2
//!   `fermyon:spin/variables@2.0.0` (`v2`),
//!   `wasi:config/store@0.2.0-draft-2024-09-27` (`wasi`) and Preview 3's
//!   `spin:variables/variables@3.0.0` (`p3`).

mod p3;
mod spin1;
mod v2;
mod wasi;

use std::path::PathBuf;
use std::sync::Arc;

use kiln_runtime_config::VariablesProviderConfig;
use kiln_variables::{EnvProvider, Error, Provider, StaticProvider};
use wasmtime::component::Linker;

use crate::{CapabilityError, HostState};

crate::shared::host_bindings!("kiln:host/variables" => Variables);

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/config",
    "fermyon:spin/variables@2.0.0",
    "wasi:config/store@0.2.0-draft-2024-09-27",
    "spin:variables/variables@3.0.0",
];

/// Adds every variables interface version (Preview 3 included) to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::add_to_linker(linker)?;
    p3::bindings::add_to_linker(linker)
}

impl HostState {
    /// Resolves one of the component's variables. The future owns what it
    /// needs, so it does not hold the state (which is not `Sync`).
    fn variable(&self, name: String) -> impl std::future::Future<Output = Result<String, Error>> + Send + 'static {
        let (variables, component) = (self.caps.variables.clone(), self.component_id.clone());
        async move { variables.resolve(&component, &name).await }
    }
}

/// Maps a resolver error onto Spin 2's (and Preview 3's) `error`, whose
/// cases have the same names.
macro_rules! spin_error {
    ($err:expr, $v:ident) => {
        match $err {
            kiln_variables::Error::InvalidName(name) => $v::Error::InvalidName(name),
            kiln_variables::Error::Undefined(name) => $v::Error::Undefined(name),
            kiln_variables::Error::Provider(message) => $v::Error::Provider(message),
            other => $v::Error::Other(other.to_string()),
        }
    };
}
pub(crate) use spin_error;

/// Providers in priority order: `--variable` values, then — as in Spin —
/// the environment (`SPIN_VARIABLE_*`, then the `.env` file) unless the
/// runtime config places an environment provider itself, then the runtime
/// config's providers in file order. A variable none of them knows takes
/// its manifest default.
pub(crate) fn providers(
    configured: &[VariablesProviderConfig],
    cli_variables: Vec<(String, String)>,
    dotenv_path: Option<PathBuf>,
) -> Result<Vec<Arc<dyn Provider>>, CapabilityError> {
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    if !cli_variables.is_empty() {
        providers.push(Arc::new(StaticProvider::new(cli_variables)));
    }
    if !configured.iter().any(|c| matches!(c, VariablesProviderConfig::Env { .. })) {
        let env = EnvProvider::new();
        providers.push(Arc::new(match dotenv_path {
            Some(path) => env.with_dotenv(path),
            None => env,
        }));
    }
    for config in configured {
        providers.push(
            kiln_variables::provider_from_config(config).map_err(|e| CapabilityError::Provider(e.to_string()))?,
        );
    }
    Ok(providers)
}
