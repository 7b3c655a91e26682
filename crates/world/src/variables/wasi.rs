//! `wasi:config/store@0.2.0-draft-2024-09-27`.

use kiln_variables::Error;

use super::bindings::wasi::config::store as wasi_config;
use crate::shared::Trappable;
use crate::HostState;

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
