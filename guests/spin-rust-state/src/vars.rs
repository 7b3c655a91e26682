//! Routes over the two configuration interfaces: Spin's
//! `fermyon:spin/variables@2.0.0` (via `spin_sdk::variables`) and
//! `wasi:config/store@0.2.0-draft-2024-09-27` (via the SDK's raw generated
//! bindings, as it has no high-level wrapper).

use std::collections::BTreeMap;

use spin_sdk::wit::wasi::config::store as config;

use crate::reply::{self, sdk_error, Outcome};

/// `GET /var/{name}`: the variable's value.
pub fn variable(name: &str) -> Outcome {
    let value = spin_sdk::variables::get(name).map_err(sdk_error)?;
    Ok(reply::text(200, value))
}

/// `GET /config/{name}`: the value, or 404 `none`.
pub fn config_get(name: &str) -> Outcome {
    match config::get(name).map_err(sdk_error)? {
        Some(value) => Ok(reply::text(200, value)),
        None => Ok(reply::text(404, "none")),
    }
}

/// `GET /config`: `get-all` as a JSON object (keys sorted).
pub fn config_all() -> Outcome {
    let all: BTreeMap<String, String> = config::get_all().map_err(sdk_error)?.into_iter().collect();
    Ok(reply::json(200, &all))
}
