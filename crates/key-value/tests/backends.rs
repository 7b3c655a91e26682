//! The same behaviour checked against every backend, plus what is particular
//! to each (SQLite files, Redis outages).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{exercise, redis_store, skip_or_fail, unique_prefix};
use kiln_key_value::{Error, KvDatabase, MemoryStore, RedisStore, SqliteStore, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store() {
    exercise(Arc::new(MemoryStore::new()), "p:").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_in_memory() {
    exercise(
        Arc::new(SqliteStore::open(None, "default").await.unwrap()),
        "p:",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/.spin/sqlite_key_value.db");
    exercise(
        Arc::new(SqliteStore::open(Some(&path), "default").await.unwrap()),
        "p:",
    )
    .await;
    assert!(path.is_file(), "parent folders and file created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_backend() {
    let Some(store) = redis_store().await else {
        return;
    };
    exercise(Arc::new(store), &unique_prefix("backend")).await;
}

#[tokio::test]
async fn sqlite_data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.db");
    {
        let store = SqliteStore::open(Some(&path), "default").await.unwrap();
        store.set("kept", b"value").await.unwrap();
        store.increment("count", 3).await.unwrap();
    }
    let store = SqliteStore::open(Some(&path), "default").await.unwrap();
    assert_eq!(store.get("kept").await.unwrap(), Some(b"value".to_vec()));
    assert_eq!(store.increment("count", 1).await.unwrap(), 4);
}

#[tokio::test]
async fn sqlite_in_memory_databases_are_separate() {
    let one = SqliteStore::open(None, "default").await.unwrap();
    let two = SqliteStore::open(None, "default").await.unwrap();
    one.set("k", b"v").await.unwrap();
    assert_eq!(two.get("k").await.unwrap(), None);
}

#[tokio::test]
async fn two_labels_in_one_file_stay_separate() {
    let dir = tempfile::tempdir().unwrap();
    let database = KvDatabase::open(Some(&dir.path().join("kv.db")))
        .await
        .unwrap();
    let (a, b) = (database.store("a"), database.store("b"));
    a.set("k", b"from a").await.unwrap();
    b.set("k", b"from b").await.unwrap();
    b.set("only-b", b"x").await.unwrap();
    assert_eq!(a.get("k").await.unwrap(), Some(b"from a".to_vec()));
    assert_eq!(b.get("k").await.unwrap(), Some(b"from b".to_vec()));
    assert_eq!(a.get_keys().await.unwrap(), vec!["k".to_string()]);
    assert!(!a.exists("only-b").await.unwrap());
    a.delete_many(&["k".into(), "only-b".into()]).await.unwrap();
    assert_eq!(b.get("only-b").await.unwrap(), Some(b"x".to_vec()));
    assert_eq!(b.get("k").await.unwrap(), Some(b"from b".to_vec()));
}

/// The file layout is Spin's: rows written by another SQLite client using
/// `spin_key_value(store, key, value)` are read, and ours land there.
#[tokio::test]
async fn sqlite_layout_is_spins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqlite_key_value.db");
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "CREATE TABLE spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL,
                 value BLOB NOT NULL, PRIMARY KEY (store, key));
             INSERT INTO spin_key_value VALUES ('default', 'greeting', X'6869');
             INSERT INTO spin_key_value VALUES ('default', 'hits', 7);
             INSERT INTO spin_key_value VALUES ('other', 'greeting', X'00');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(Some(&path), "default").await.unwrap();
    assert_eq!(store.get("greeting").await.unwrap(), Some(b"hi".to_vec()));
    // A counter stored as an INTEGER reads as its decimal text and counts on.
    assert_eq!(store.get("hits").await.unwrap(), Some(b"7".to_vec()));
    assert_eq!(store.increment("hits", 1).await.unwrap(), 8);
    store.set("new", b"\x01\x02").await.unwrap();
    drop(store);

    let raw = rusqlite::Connection::open(&path).unwrap();
    let stored = |store: &str, key: &str| -> Vec<u8> {
        raw.query_row(
            "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
            [store, key],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(stored("default", "new"), b"\x01\x02");
    let other = stored("other", "greeting");
    assert_eq!(other, b"\x00");
}

/// Two connections to one file (as two processes would have) do not lose
/// increments or fail with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_separate_connections_to_one_file_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.db");
    let stores: Vec<Arc<dyn Store>> = vec![
        Arc::new(SqliteStore::open(Some(&path), "default").await.unwrap()),
        Arc::new(SqliteStore::open(Some(&path), "default").await.unwrap()),
    ];
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move {
                for _ in 0..25 {
                    store.increment("n", 1).await.unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(stores[0].get("n").await.unwrap(), Some(b"200".to_vec()));
}

#[tokio::test]
async fn sqlite_unopenable_path_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let err = SqliteStore::open(Some(&file.join("kv.db")), "default")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Other(_)), "{err:?}");
}

#[tokio::test]
async fn redis_unreachable_is_other() {
    // Port 1 on loopback: nothing listens there.
    let err = RedisStore::connect("redis://127.0.0.1:1/0")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Other(_)), "{err:?}");
    let err = RedisStore::connect("not a url").await.unwrap_err();
    assert!(matches!(err, Error::Other(_)), "{err:?}");
}

#[tokio::test]
async fn redis_non_integer_and_overflow_are_errors() {
    let Some(store) = redis_store().await else {
        return;
    };
    let prefix = unique_prefix("overflow");
    let key = format!("{prefix}n");
    store
        .set(&key, &i64::MAX.to_string().into_bytes())
        .await
        .unwrap();
    assert!(matches!(
        store.increment(&key, 1).await,
        Err(Error::Other(_))
    ));
    store.delete(&key).await.unwrap();
}

/// A Redis server of our own, on a free loopback port, that the test can
/// stop and start.
struct OwnRedis {
    child: std::process::Child,
}

impl OwnRedis {
    fn start(port: u16) -> std::io::Result<Self> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        Ok(Self { child })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn retry_until_ok<T>(what: &str, mut attempt: impl AsyncFnMut() -> Result<T, Error>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(e) if tokio::time::Instant::now() < deadline => {
                eprintln!("{what}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what}: still failing: {e}"),
        }
    }
}

/// A Redis that goes away gives `Error::Other`, and the same store works
/// again once the server is back.
#[tokio::test]
async fn redis_store_recovers_after_a_server_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = match OwnRedis::start(port) {
        Ok(server) => server,
        Err(e) => {
            skip_or_fail(&format!("cannot start redis-server: {e}"));
            return;
        }
    };
    let url = format!("redis://127.0.0.1:{port}/0");
    let store = retry_until_ok("connect", || RedisStore::connect(&url)).await;
    store.set("k", b"before").await.unwrap();

    server.stop();
    let err = store.get("k").await.unwrap_err();
    assert!(matches!(err, Error::Other(_)), "{err:?}");

    let _server = OwnRedis::start(port).unwrap();
    retry_until_ok("set after restart", || store.set("k", b"after")).await;
    assert_eq!(store.get("k").await.unwrap(), Some(b"after".to_vec()));
}
