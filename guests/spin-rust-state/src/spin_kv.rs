//! Routes over `fermyon:spin/key-value@2.0.0`, through the SDK's high-level
//! `spin_sdk::key_value` module (which binds exactly that interface).

use spin_sdk::key_value::Store;

use crate::reply::{self, sdk_error, Outcome};

fn open(store: &str) -> Result<Store, spin_sdk::http::Response> {
    Store::open(store).map_err(sdk_error)
}

/// `GET /kv/{store}/{key}`: the raw value, or 404 `no such key`.
pub fn get(store: &str, key: &str) -> Outcome {
    match open(store)?.get(key).map_err(sdk_error)? {
        Some(value) => Ok(reply::bytes(200, value)),
        None => Ok(reply::text(404, "no such key")),
    }
}

/// `PUT /kv/{store}/{key}`: store the request body.
pub fn set(store: &str, key: &str, value: &[u8]) -> Outcome {
    open(store)?.set(key, value).map_err(sdk_error)?;
    Ok(reply::text(200, "stored"))
}

/// `DELETE /kv/{store}/{key}`.
pub fn delete(store: &str, key: &str) -> Outcome {
    open(store)?.delete(key).map_err(sdk_error)?;
    Ok(reply::text(200, "deleted"))
}

/// `GET /kv-exists/{store}/{key}`: `true` or `false`.
pub fn exists(store: &str, key: &str) -> Outcome {
    let found = open(store)?.exists(key).map_err(sdk_error)?;
    Ok(reply::text(200, found.to_string()))
}

/// `GET /kv/{store}`: every key, sorted, as a JSON array.
pub fn keys(store: &str) -> Outcome {
    let mut keys = open(store)?.get_keys().map_err(sdk_error)?;
    keys.sort();
    Ok(reply::json(200, &keys))
}
