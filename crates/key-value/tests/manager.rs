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
    manager
        .open("default")
        .await
        .unwrap()
        .set("k", b"v")
        .await
        .unwrap();
    let again = manager.open("default").await.unwrap();
    assert_eq!(again.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(
        manager.open("other").await.unwrap().get("k").await.unwrap(),
        None
    );
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
    manager
        .open("default")
        .await
        .unwrap()
        .set("k", b"d")
        .await
        .unwrap();
    manager
        .open("cache")
        .await
        .unwrap()
        .set("k", b"c")
        .await
        .unwrap();
    assert_eq!(
        manager
            .open("default")
            .await
            .unwrap()
            .get("k")
            .await
            .unwrap(),
        Some(b"d".to_vec())
    );

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
    assert_eq!(
        manager
            .open("remote")
            .await
            .unwrap()
            .get(&key)
            .await
            .unwrap(),
        Some(b"v".to_vec())
    );
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn component_access_is_checked_before_existence() {
    let manager = Arc::new(manager(vec![
        ("default", Backend::Memory),
        ("secret", Backend::Memory),
    ]));
    let component = ComponentStores::new(
        Arc::clone(&manager),
        ["default".to_string(), "ghost".to_string()],
    );
    // Listed and defined.
    component
        .open("default")
        .await
        .unwrap()
        .set("k", b"v")
        .await
        .unwrap();
    // Defined but not listed: denied.
    assert_eq!(
        component.open("secret").await.err(),
        Some(Error::AccessDenied)
    );
    // Neither listed nor defined: denied too, so existence is not revealed.
    assert_eq!(
        component.open("nowhere").await.err(),
        Some(Error::AccessDenied)
    );
    // Listed but not defined.
    assert_eq!(
        component.open("ghost").await.err(),
        Some(Error::NoSuchStore)
    );
    // Components share the manager's stores.
    let other = ComponentStores::new(manager, ["default".to_string()]);
    assert_eq!(
        other.open("default").await.unwrap().get("k").await.unwrap(),
        Some(b"v".to_vec())
    );
}
