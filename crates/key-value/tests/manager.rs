//! `StoreManager` and `ComponentStores`: lazily opened, shared, and guarded
//! in Spin's order.

mod common;

use std::sync::Arc;

use indexmap::IndexMap;
use kiln_key_value::{Backend, ComponentStores, Error, KvDatabase, Store, StoreManager};

fn manager(stores: Vec<(&str, Backend)>) -> StoreManager {
    StoreManager::new(
        stores
            .into_iter()
            .map(|(l, b)| (l.to_string(), b))
            .collect::<IndexMap<_, _>>(),
    )
}

/// Sets `key` to `value` in the store `label`, opening it through `manager`.
async fn set(manager: &StoreManager, label: &str, key: &str, value: &[u8]) {
    manager.open(label).await.unwrap().set(key, value).await.unwrap();
}

/// The value of `key` in the store `label`, opened through `manager`.
async fn get(manager: &StoreManager, label: &str, key: &str) -> Option<Vec<u8>> {
    manager.open(label).await.unwrap().get(key).await.unwrap()
}

#[tokio::test]
async fn unknown_label_is_no_such_store() {
    let manager = manager(vec![("default", Backend::Memory)]);
    assert_eq!(manager.open("nope").await.err(), Some(Error::NoSuchStore));
    assert_eq!(manager.labels().collect::<Vec<_>>(), vec!["default"]);
}

#[tokio::test]
async fn a_store_is_opened_once_and_kept() {
    let manager = manager(vec![
        ("default", Backend::Memory),
        ("other", Backend::Memory),
    ]);
    set(&manager, "default", "k", b"v").await;
    let again = manager.open("default").await.unwrap();
    assert_eq!(again.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(get(&manager, "other", "k").await, None);
}

#[tokio::test]
async fn labels_naming_one_file_share_it_and_stay_separate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".spin/sqlite_key_value.db");
    let manager = manager(vec![
        (
            "default",
            Backend::Spin {
                path: Some(path.clone()),
            },
        ),
        (
            "cache",
            Backend::Spin {
                path: Some(dir.path().join(".spin/../.spin/sqlite_key_value.db")),
            },
        ),
    ]);
    set(&manager, "default", "k", b"d").await;
    set(&manager, "cache", "k", b"c").await;
    assert_eq!(get(&manager, "default", "k").await, Some(b"d".to_vec()));

    // Both rows are in the one file, under their labels.
    let file = KvDatabase::open(Some(&path)).await.unwrap();
    assert_eq!(
        file.store("default").get("k").await.unwrap(),
        Some(b"d".to_vec())
    );
    assert_eq!(
        file.store("cache").get("k").await.unwrap(),
        Some(b"c".to_vec())
    );
}

#[tokio::test]
async fn unreachable_redis_fails_the_open_and_is_retried() {
    let manager = manager(vec![(
        "remote",
        Backend::Redis {
            url: "redis://127.0.0.1:1/0".into(),
        },
    )]);
    for _ in 0..2 {
        let err = manager.open("remote").await.err();
        assert!(matches!(err, Some(Error::Other(_))), "{err:?}");
    }
}

#[tokio::test]
async fn redis_backend_opens_through_the_manager() {
    if common::redis_store().await.is_none() {
        return;
    }
    let manager = manager(vec![(
        "remote",
        Backend::Redis {
            url: common::REDIS_URL.into(),
        },
    )]);
    let store = manager.open("remote").await.unwrap();
    let key = format!("{}k", common::unique_prefix("manager"));
    store.set(&key, b"v").await.unwrap();
    assert_eq!(get(&manager, "remote", &key).await, Some(b"v".to_vec()));
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn component_access_is_checked_before_existence() {
    let manager = Arc::new(manager(vec![("default", Backend::Memory), ("secret", Backend::Memory)]));
    let listed = ["default".to_string(), "ghost".to_string()];
    let component = ComponentStores::new(Arc::clone(&manager), listed);
    // Listed and defined.
    component.open("default").await.unwrap().set("k", b"v").await.unwrap();
    for (label, expected, why) in [
        ("secret", Error::AccessDenied, "defined but not listed: denied"),
        // So that existence is not revealed.
        ("nowhere", Error::AccessDenied, "neither listed nor defined: denied too"),
        ("ghost", Error::NoSuchStore, "listed but not defined"),
    ] {
        assert_eq!(component.open(label).await.err(), Some(expected), "{label}: {why}");
    }
    // Components share the manager's stores.
    let other = ComponentStores::new(manager, ["default".to_string()]);
    assert_eq!(
        other.open("default").await.unwrap().get("k").await.unwrap(),
        Some(b"v".to_vec())
    );
}
