//! Routes over `wasi:keyvalue@0.2.0-draft2` (`store`, `atomics`, `batch`).
//!
//! The SDK has no high-level wrapper for this package, so these routes use
//! its raw generated bindings under `spin_sdk::wit::wasi::keyvalue`.

use std::collections::BTreeMap;

use serde::Deserialize;
use spin_sdk::http::Response;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

use crate::reply::{self, sdk_error, Outcome};

/// Upper bound on `list-keys` pages, so a host that never ends its cursor
/// yields an error instead of an endless loop.
const MAX_PAGES: usize = 100_000;

fn open(name: &str) -> Result<store::Bucket, Response> {
    store::open(name).map_err(sdk_error)
}

/// `GET /wasi-kv/{store}/{key}`: the raw value, or 404 `no such key`.
pub fn get(name: &str, key: &str) -> Outcome {
    match open(name)?.get(key).map_err(sdk_error)? {
        Some(value) => Ok(reply::bytes(200, value)),
        None => Ok(reply::text(404, "no such key")),
    }
}

/// `PUT /wasi-kv/{store}/{key}`: store the request body.
pub fn set(name: &str, key: &str, value: &[u8]) -> Outcome {
    open(name)?.set(key, value).map_err(sdk_error)?;
    Ok(reply::text(200, "stored"))
}

/// `DELETE /wasi-kv/{store}/{key}`.
pub fn delete(name: &str, key: &str) -> Outcome {
    open(name)?.delete(key).map_err(sdk_error)?;
    Ok(reply::text(200, "deleted"))
}

/// `GET /wasi-kv-exists/{store}/{key}`: `true` or `false`.
pub fn exists(name: &str, key: &str) -> Outcome {
    let found = open(name)?.exists(key).map_err(sdk_error)?;
    Ok(reply::text(200, found.to_string()))
}

/// `GET /wasi-kv/{store}`: every key (following the cursor), sorted, as JSON.
pub fn keys(name: &str) -> Outcome {
    let bucket = open(name)?;
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = bucket.list_keys(cursor.as_deref()).map_err(sdk_error)?;
        all.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => {
                all.sort();
                return Ok(reply::json(200, &all));
            }
        }
    }
    Ok(reply::text(
        500,
        format!("error: list-keys cursor did not end after {MAX_PAGES} pages"),
    ))
}

/// `POST /wasi-kv-incr/{store}/{key}?by=N`: the new value as decimal text.
pub fn increment(name: &str, key: &str, delta: i64) -> Outcome {
    let bucket = open(name)?;
    let value = atomics::increment(&bucket, key, delta).map_err(sdk_error)?;
    Ok(reply::text(200, value.to_string()))
}

/// `POST /wasi-kv-cas/{store}/{key}[?interfere=V]`: `cas::new`, `current`,
/// then `swap` to the request body. With `interfere`, the key is overwritten
/// with `V` between `current` and `swap`, so tests can force `cas-failed`
/// deterministically.
pub fn compare_and_swap(name: &str, key: &str, value: &[u8], interfere: Option<&str>) -> Outcome {
    let bucket = open(name)?;
    let cas = atomics::Cas::new(&bucket, key).map_err(sdk_error)?;
    cas.current().map_err(sdk_error)?;
    if let Some(other) = interfere {
        bucket.set(key, other.as_bytes()).map_err(sdk_error)?;
    }
    match atomics::swap(cas, value) {
        Ok(()) => Ok(reply::text(200, "swapped")),
        Err(atomics::CasError::CasFailed(_)) => Ok(reply::text(409, "cas-failed")),
        Err(atomics::CasError::StoreError(e)) => Err(sdk_error(e)),
    }
}

/// Body of `POST /wasi-kv-batch/{store}`; each absent field skips its call.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Pairs for `set-many`.
    #[serde(default)]
    pub set: Option<BTreeMap<String, String>>,
    /// Keys for `get-many`.
    #[serde(default)]
    pub get: Option<Vec<String>>,
    /// Keys for `delete-many`.
    #[serde(default)]
    pub delete: Option<Vec<String>>,
}

/// `POST /wasi-kv-batch/{store}`: `set-many`, then `get-many`, then
/// `delete-many`; answers the `get-many` result as `{key: value-or-null}`
/// (values decoded as lossy UTF-8).
pub fn batch(name: &str, req: BatchRequest) -> Outcome {
    let bucket = open(name)?;
    if let Some(set) = req.set {
        let pairs: Vec<(String, Vec<u8>)> =
            set.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
        batch::set_many(&bucket, &pairs).map_err(sdk_error)?;
    }
    let mut got: BTreeMap<String, Option<String>> = BTreeMap::new();
    if let Some(keys) = req.get {
        for (key, value) in batch::get_many(&bucket, &keys).map_err(sdk_error)? {
            got.insert(key, value.map(|v| String::from_utf8_lossy(&v).into_owned()));
        }
    }
    if let Some(keys) = req.delete {
        batch::delete_many(&bucket, &keys).map_err(sdk_error)?;
    }
    Ok(reply::json(200, &got))
}
