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

/// `POST /kv-bench/{store}?ops=N`: N sets then N gets over 100 keys, timed
/// inside the guest, so the figures are the host's per-operation cost
/// (interface call plus backend) without HTTP or instantiation. Answers
/// `{"ops": N, "set_per_sec": …, "get_per_sec": …}`.
pub fn bench(store: &str, ops: u32) -> Outcome {
    let store = open(store)?;
    let value = [b'v'; 64];
    let started = std::time::Instant::now();
    for i in 0..ops {
        store.set(&format!("bench-{}", i % 100), &value).map_err(sdk_error)?;
    }
    let set_secs = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    for i in 0..ops {
        store.get(&format!("bench-{}", i % 100)).map_err(sdk_error)?;
    }
    let get_secs = started.elapsed().as_secs_f64();
    let rate = |secs: f64| if secs > 0.0 { (f64::from(ops) / secs).round() } else { 0.0 };
    Ok(reply::json(
        200,
        &serde_json::json!({ "ops": ops, "set_per_sec": rate(set_secs), "get_per_sec": rate(get_secs) }),
    ))
}
