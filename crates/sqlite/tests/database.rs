//! `LocalDatabase`, `DatabaseManager` and `ComponentDatabases` against real
//! SQLite files.

use std::sync::Arc;

use indexmap::IndexMap;
use kiln_sqlite::{
    Backend, ComponentDatabases, Connection, DatabaseManager, Error, LocalDatabase, Value,
};

async fn memory() -> LocalDatabase {
    LocalDatabase::open(None).await.unwrap()
}

/// The rows `sql` (without parameters) answers on `db`.
async fn rows(db: &(impl Connection + ?Sized), sql: &str) -> Vec<Vec<Value>> {
    db.execute(sql, vec![]).await.unwrap().rows
}

#[tokio::test]
async fn every_value_type_round_trips_through_a_table() {
    let db = memory().await;
    db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v ANY) STRICT")
        .await
        .unwrap();
    let values = vec![
        Value::Integer(0),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX),
        Value::Real(1.5),
        Value::Real(-0.25e-300),
        Value::Text(String::new()),
        Value::Text("héllo ✓ 日本".into()),
        Value::Blob(Vec::new()),
        Value::Blob(vec![0, 255, 1]),
        Value::Null,
    ];
    for (id, value) in values.iter().enumerate() {
        let inserted = db
            .execute(
                "INSERT INTO t (id, v) VALUES (?1, ?2)",
                vec![Value::Integer(id as i64), value.clone()],
            )
            .await
            .unwrap();
        assert_eq!(inserted.changes, 1);
        assert!(inserted.columns.is_empty() && inserted.rows.is_empty());
    }
    let result = db
        .execute("SELECT v, typeof(v) AS kind FROM t ORDER BY id", vec![])
        .await
        .unwrap();
    assert_eq!(result.columns, vec!["v", "kind"]);
    let got: Vec<Value> = result.rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(got, values);
    let kinds: Vec<Value> = result.rows.iter().map(|row| row[1].clone()).collect();
    assert_eq!(
        kinds[7],
        Value::Text("blob".into()),
        "empty blob stays a blob"
    );
    assert_eq!(kinds[9], Value::Text("null".into()));
    // Selecting changed nothing.
    assert_eq!(result.changes, 0);

    // Anonymous `?` placeholders bind by position too.
    let filtered = db
        .execute(
            "SELECT id FROM t WHERE v = ? OR v = ? ORDER BY id",
            vec![Value::Integer(i64::MAX), Value::Text("héllo ✓ 日本".into())],
        )
        .await
        .unwrap();
    assert_eq!(
        filtered.rows,
        vec![vec![Value::Integer(2)], vec![Value::Integer(6)]]
    );
}

#[tokio::test]
async fn changes_and_last_insert_rowid_belong_to_the_statement() {
    let db = memory().await;
    db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER)")
        .await
        .unwrap();
    let first = db
        .execute("INSERT INTO t (n) VALUES (?1)", vec![Value::Integer(10)])
        .await
        .unwrap();
    assert_eq!((first.changes, first.last_insert_rowid), (1, 1));
    let second = db
        .execute(
            "INSERT INTO t (n) VALUES (?1), (?2)",
            vec![Value::Integer(20), Value::Integer(30)],
        )
        .await
        .unwrap();
    assert_eq!((second.changes, second.last_insert_rowid), (2, 3));
    let updated = db
        .execute(
            "UPDATE t SET n = n + 1 WHERE n >= ?1",
            vec![Value::Integer(20)],
        )
        .await
        .unwrap();
    assert_eq!(updated.changes, 2);
    let none = db
        .execute("DELETE FROM t WHERE n = ?1", vec![Value::Integer(999)])
        .await
        .unwrap();
    assert_eq!(none.changes, 0, "a statement that touched no row reports 0");
    let ddl = db.execute("CREATE TABLE u (x)", vec![]).await.unwrap();
    assert_eq!(ddl.changes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_each_see_their_own_rowid() {
    let db = Arc::new(memory().await);
    db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, owner INTEGER)")
        .await
        .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|task| {
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                for _ in 0..20 {
                    let r = db
                        .execute(
                            "INSERT INTO t (owner) VALUES (?1)",
                            vec![Value::Integer(task)],
                        )
                        .await
                        .unwrap();
                    let owner = db
                        .execute(
                            "SELECT owner FROM t WHERE id = ?1",
                            vec![Value::Integer(r.last_insert_rowid)],
                        )
                        .await
                        .unwrap();
                    assert_eq!(owner.rows, vec![vec![Value::Integer(task)]]);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(rows(&*db, "SELECT count(*) FROM t").await, vec![vec![Value::Integer(160)]]);
}

#[tokio::test]
async fn errors_carry_sqlites_message() {
    let db = memory().await;
    let err = db.execute("SELEC 1", vec![]).await.unwrap_err();
    match err {
        Error::Io(message) => assert!(message.contains("syntax error"), "{message}"),
        other => panic!("expected Io, got {other:?}"),
    }
    let err = db
        .execute("SELECT * FROM missing", vec![])
        .await
        .unwrap_err();
    assert_eq!(err, Error::Io("no such table: missing".into()));
    let err = db
        .execute_batch("CREATE TABLE a (x); BOGUS;")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Io(ref m) if m.contains("syntax error")),
        "{err:?}"
    );
}

#[tokio::test]
async fn execute_batch_runs_every_statement() {
    let db = memory().await;
    db.execute_batch(
        "CREATE TABLE a (x INTEGER);
         INSERT INTO a VALUES (1);
         INSERT INTO a VALUES (2);
         CREATE TABLE b (y TEXT); INSERT INTO b VALUES ('z');",
    )
    .await
    .unwrap();
    assert_eq!(rows(&db, "SELECT sum(x) FROM a").await, vec![vec![Value::Integer(3)]]);
    assert_eq!(rows(&db, "SELECT y FROM b").await, vec![vec![Value::Text("z".into())]]);
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/.spin/sqlite_db.db");
    {
        let db = LocalDatabase::open(Some(&path)).await.unwrap();
        db.execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')")
            .await
            .unwrap();
    }
    assert!(path.is_file(), "parent folders and file created");
    let db = LocalDatabase::open(Some(&path)).await.unwrap();
    assert_eq!(rows(&db, "SELECT v FROM t").await, vec![vec![Value::Text("kept".into())]]);
    assert_eq!(rows(&db, "PRAGMA journal_mode").await, vec![vec![Value::Text("wal".into())]]);
}

#[tokio::test]
async fn unopenable_path_is_io() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let err = LocalDatabase::open(Some(&file.join("db.sqlite")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn manager_opens_lazily_shares_and_rejects_unknown_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let manager = DatabaseManager::new(IndexMap::from([
        (
            "default".to_string(),
            Backend::Spin {
                path: Some(path.clone()),
            },
        ),
        ("scratch".to_string(), Backend::Spin { path: None }),
    ]));
    assert!(!path.exists(), "nothing opened before first use");
    assert_eq!(
        manager.open("nope").await.err(),
        Some(Error::NoSuchDatabase)
    );
    manager
        .open("default")
        .await
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (7)")
        .await
        .unwrap();
    let again = manager.open("default").await.unwrap();
    assert_eq!(rows(&*again, "SELECT x FROM t").await, vec![vec![Value::Integer(7)]]);
    let scratch = manager.open("scratch").await.unwrap();
    assert!(scratch.execute("SELECT x FROM t", vec![]).await.is_err());
    assert_eq!(
        manager.labels().collect::<Vec<_>>(),
        vec!["default", "scratch"]
    );
}

#[tokio::test]
async fn component_access_is_checked_before_existence() {
    let manager = Arc::new(DatabaseManager::new(IndexMap::from([
        ("default".to_string(), Backend::Spin { path: None }),
        ("secret".to_string(), Backend::Spin { path: None }),
    ])));
    let listed = ["default".to_string(), "ghost".to_string()];
    let component = ComponentDatabases::new(Arc::clone(&manager), listed);
    let default = component.open("default").await.unwrap();
    default.execute_batch("CREATE TABLE t (x)").await.unwrap();
    for (label, expected) in [
        ("secret", Error::AccessDenied),
        ("nowhere", Error::AccessDenied),
        ("ghost", Error::NoSuchDatabase),
    ] {
        assert_eq!(component.open(label).await.err(), Some(expected), "{label}");
    }
    // Another component with access shares the same database.
    let other = ComponentDatabases::new(manager, ["default".to_string()]);
    let shared = other.open("default").await.unwrap();
    assert_eq!(rows(&*shared, "SELECT count(*) FROM t").await, vec![vec![Value::Integer(0)]]);
}

#[tokio::test]
async fn a_full_database_is_database_full() {
    let db = memory().await;
    db.execute_batch("CREATE TABLE t (b BLOB)").await.unwrap();
    // Cap the database at its current size: the next big row cannot fit.
    let pages = db.execute("PRAGMA page_count", vec![]).await.unwrap();
    let Value::Integer(pages) = pages.rows[0][0] else {
        panic!("{pages:?}")
    };
    db.execute(&format!("PRAGMA max_page_count = {pages}"), vec![])
        .await
        .unwrap();
    let err = db
        .execute(
            "INSERT INTO t VALUES (?1)",
            vec![Value::Blob(vec![7; 64 * 1024])],
        )
        .await
        .unwrap_err();
    assert_eq!(err, Error::DatabaseFull);
}
