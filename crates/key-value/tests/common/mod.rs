//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kiln_key_value::{RedisStore, Store};

/// The test Redis database: a dedicated number, away from real data.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379/13";

/// Whether a missing service must fail the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (prints why and returns true) when a service is absent, except in
/// CI, where it fails.
pub fn skip_or_fail(what: &str) -> bool {
    assert!(
        !in_ci(),
        "{what} (CI=true, so this fails instead of skipping)"
    );
    eprintln!("SKIPPED: {what}");
    true
}

/// The test Redis database, or `None` (after printing why) when no server
/// answers at 127.0.0.1:6379 outside CI.
pub async fn redis_store() -> Option<RedisStore> {
    match RedisStore::connect(REDIS_URL).await {
        Ok(store) => Some(store),
        Err(e) => {
            skip_or_fail(&format!("no Redis at {REDIS_URL}: {e}"));
            None
        }
    }
}

/// A key prefix no other test run shares, so Redis tests can run in
/// parallel on one database.
pub fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("kiln-kv-test:{test}:{}:{nanos}:", std::process::id())
}

/// The store's keys that start with `prefix`.
pub async fn keys_with_prefix(store: &dyn Store, prefix: &str) -> BTreeSet<String> {
    store
        .get_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect()
}

/// Removes every key under `prefix`.
pub async fn clean_up(store: &dyn Store, prefix: &str) {
    let keys: Vec<String> = keys_with_prefix(store, prefix).await.into_iter().collect();
    store.delete_many(&keys).await.unwrap();
    assert!(keys_with_prefix(store, prefix).await.is_empty());
}

/// Waits for every task in `handles`, then checks that `key` holds the
/// decimal text of `count`.
async fn expect_count(handles: Vec<tokio::task::JoinHandle<()>>, store: &dyn Store, key: &str, count: u64) {
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(store.get(key).await.unwrap(), Some(count.to_string().into_bytes()), "{key}");
}

/// The behaviour every backend must share. Every key starts with `prefix`,
/// and only such keys are looked at, so a shared Redis database is fine.
pub async fn exercise(store: Arc<dyn Store>, prefix: &str) {
    let k = |name: &str| format!("{prefix}{name}");
    let set_of = |names: &[&str]| names.iter().map(|n| k(n)).collect::<BTreeSet<_>>();

    // Single-key operations.
    assert_eq!(store.get(&k("a")).await.unwrap(), None);
    assert!(!store.exists(&k("a")).await.unwrap());
    store.set(&k("a"), b"first").await.unwrap();
    store.set(&k("a"), b"second").await.unwrap();
    assert_eq!(store.get(&k("a")).await.unwrap(), Some(b"second".to_vec()));
    assert!(store.exists(&k("a")).await.unwrap());
    store.set(&k("empty"), b"").await.unwrap();
    assert_eq!(store.get(&k("empty")).await.unwrap(), Some(Vec::new()));
    assert!(store.exists(&k("empty")).await.unwrap());
    let binary = vec![0u8, 255, 1, 0, 128];
    store.set(&k("binary"), &binary).await.unwrap();
    assert_eq!(store.get(&k("binary")).await.unwrap(), Some(binary));
    assert_eq!(
        keys_with_prefix(&*store, prefix).await,
        set_of(&["a", "empty", "binary"])
    );
    store.delete(&k("a")).await.unwrap();
    store.delete(&k("a")).await.unwrap(); // absent: still fine
    assert_eq!(store.get(&k("a")).await.unwrap(), None);
    assert!(!store.exists(&k("a")).await.unwrap());
    assert_eq!(
        keys_with_prefix(&*store, prefix).await,
        set_of(&["empty", "binary"])
    );

    // Batches.
    store
        .set_many(&[(k("x"), b"1".to_vec()), (k("y"), b"2".to_vec())])
        .await
        .unwrap();
    let got = store
        .get_many(&[k("y"), k("missing"), k("x")])
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![
            (k("y"), Some(b"2".to_vec())),
            (k("missing"), None),
            (k("x"), Some(b"1".to_vec())),
        ]
    );
    store.delete_many(&[k("x"), k("missing")]).await.unwrap();
    assert_eq!(store.get(&k("x")).await.unwrap(), None);
    assert_eq!(store.get(&k("y")).await.unwrap(), Some(b"2".to_vec()));
    assert!(store.get_many(&[]).await.unwrap().is_empty());
    store.set_many(&[]).await.unwrap();
    store.delete_many(&[]).await.unwrap();

    // Increment: absent counts as 0, the value is decimal text.
    assert_eq!(store.increment(&k("n"), 5).await.unwrap(), 5);
    assert_eq!(store.increment(&k("n"), -7).await.unwrap(), -2);
    assert_eq!(store.get(&k("n")).await.unwrap(), Some(b"-2".to_vec()));
    store.set(&k("n"), b"40").await.unwrap();
    assert_eq!(store.increment(&k("n"), 2).await.unwrap(), 42);
    store.set(&k("text"), b"abc").await.unwrap();
    let err = store.increment(&k("text"), 1).await.unwrap_err();
    assert!(matches!(err, kiln_key_value::Error::Other(_)), "{err:?}");
    assert_eq!(store.get(&k("text")).await.unwrap(), Some(b"abc".to_vec()));

    // Compare-and-swap.
    assert!(store.compare_and_swap(&k("c"), None, b"v1").await.unwrap());
    assert_eq!(store.get(&k("c")).await.unwrap(), Some(b"v1".to_vec()));
    assert!(!store.compare_and_swap(&k("c"), None, b"v2").await.unwrap());
    assert!(!store
        .compare_and_swap(&k("c"), Some(b"stale"), b"v2")
        .await
        .unwrap());
    assert_eq!(store.get(&k("c")).await.unwrap(), Some(b"v1".to_vec()));
    assert!(store
        .compare_and_swap(&k("c"), Some(b"v1"), b"v2")
        .await
        .unwrap());
    assert_eq!(store.get(&k("c")).await.unwrap(), Some(b"v2".to_vec()));
    assert!(!store
        .compare_and_swap(&k("absent"), Some(b""), b"v")
        .await
        .unwrap());
    assert!(!store.exists(&k("absent")).await.unwrap());
    // An empty value is not an absent one.
    assert!(!store
        .compare_and_swap(&k("empty"), None, b"v")
        .await
        .unwrap());
    assert!(store
        .compare_and_swap(&k("empty"), Some(b""), b"filled")
        .await
        .unwrap());

    // Concurrent increments from many tasks all count.
    let (tasks, per_task) = (16, 25);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let store = Arc::clone(&store);
            let key = k("counter");
            tokio::spawn(async move {
                for _ in 0..per_task {
                    store.increment(&key, 1).await.unwrap();
                }
            })
        })
        .collect();
    expect_count(handles, &*store, &k("counter"), tasks * per_task).await;

    // Compare-and-swap loops from many tasks: each swap wins exactly once.
    store.set(&k("cas"), b"0").await.unwrap();
    let (tasks, per_task) = (8, 10);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let store = Arc::clone(&store);
            let key = k("cas");
            tokio::spawn(async move {
                let mut done = 0;
                while done < per_task {
                    let current = store.get(&key).await.unwrap().unwrap();
                    let n: u64 = std::str::from_utf8(&current).unwrap().parse().unwrap();
                    let next = (n + 1).to_string();
                    if store
                        .compare_and_swap(&key, Some(&current), next.as_bytes())
                        .await
                        .unwrap()
                    {
                        done += 1;
                    }
                }
            })
        })
        .collect();
    expect_count(handles, &*store, &k("cas"), tasks * per_task).await;

    clean_up(&*store, prefix).await;
}
