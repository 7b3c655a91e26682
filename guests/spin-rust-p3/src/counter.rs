//! A per-instance counter: lives in linear memory, so it survives between
//! requests only when the host reuses the instance.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static INSTANCE: OnceLock<u64> = OnceLock::new();
static COUNT: AtomicU64 = AtomicU64::new(0);

/// `"{instance id} {requests this instance has counted}"`. The id is random
/// (std seeds `RandomState` from `wasi:random`), drawn once per instance.
pub fn next() -> String {
    let id = INSTANCE.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(0);
        hasher.finish()
    });
    let count = COUNT.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{id:016x} {count}")
}
