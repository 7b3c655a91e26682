//! `spin:key-value/key-value@3.0.0` through `spin_sdk::key_value` (every
//! call an `async func`; key listing as a stream plus a future).

use spin_sdk::key_value::Store;

use crate::Routed;
use crate::reply::{sdk_error, text};

/// Opens `label`, or answers with the SDK's error.
macro_rules! open {
    ($label:expr) => {
        match Store::open($label).await {
            Ok(store) => store,
            Err(e) => return sdk_error(e),
        }
    };
}

/// `GET /kv3/{store}/{key}`: the value, or 404 `no such key`.
pub async fn get(label: &str, key: &str) -> Routed {
    match open!(label).get(key).await {
        Ok(Some(value)) => text(200, String::from_utf8_lossy(&value)),
        Ok(None) => text(404, "no such key"),
        Err(e) => sdk_error(e),
    }
}

/// `PUT /kv3/{store}/{key}`: stores the request body.
pub async fn set(label: &str, key: &str, value: &[u8]) -> Routed {
    match open!(label).set(key, value).await {
        Ok(()) => text(200, "stored"),
        Err(e) => sdk_error(e),
    }
}

/// `DELETE /kv3/{store}/{key}`.
pub async fn delete(label: &str, key: &str) -> Routed {
    match open!(label).delete(key).await {
        Ok(()) => text(200, "deleted"),
        Err(e) => sdk_error(e),
    }
}

/// `GET /kv3-exists/{store}/{key}`: `true` or `false`.
pub async fn exists(label: &str, key: &str) -> Routed {
    match open!(label).exists(key).await {
        Ok(found) => text(200, found.to_string()),
        Err(e) => sdk_error(e),
    }
}

/// `GET /kv3/{store}`: every key, sorted, one per line. Reads the stream key
/// by key, then the outcome future, as the SDK documents.
pub async fn keys(label: &str) -> Routed {
    let store = open!(label);
    let mut listing = store.get_keys().await;
    let mut keys = Vec::new();
    while let Some(key) = listing.next().await {
        keys.push(key);
    }
    if let Err(e) = listing.result().await {
        return sdk_error(e);
    }
    keys.sort();
    text(200, keys.join("\n"))
}
