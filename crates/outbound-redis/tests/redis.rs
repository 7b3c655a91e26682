//! Against the Redis server at 127.0.0.1:6379 (database 9); skipped when it
//! is not running, unless CI=true.

use std::sync::Arc;

use kiln_outbound_redis::{Connection, Connections, Error, Parameter, RedisValue};
use kiln_test_support::{require, unique_name, REDIS};

const ADDRESS: &str = "redis://127.0.0.1:6379/9";

/// A (possibly cached) connection to [`ADDRESS`].
async fn open(connections: &Connections) -> Arc<dyn Connection> {
    connections.open(ADDRESS).await.unwrap()
}

/// `text` as a binary command parameter.
fn bin(text: &str) -> Parameter {
    Parameter::Binary(text.as_bytes().to_vec())
}

#[tokio::test]
async fn every_operation_against_a_real_server() {
    require!(REDIS);
    let connections = Connections::new();
    let conn = connections.open(ADDRESS).await.unwrap();
    let key = unique_name("kiln-outbound-redis-test:kv");
    assert_eq!(conn.get(&key).await.unwrap(), None);
    conn.set(&key, b"hello").await.unwrap();
    assert_eq!(conn.get(&key).await.unwrap(), Some(b"hello".to_vec()));
    assert!(
        matches!(conn.incr(&key).await, Err(Error::Other(_))),
        "INCR of a non-integer fails"
    );
    let counter = unique_name("kiln-outbound-redis-test:counter");
    assert_eq!(conn.incr(&counter).await.unwrap(), 1);
    assert_eq!(conn.incr(&counter).await.unwrap(), 2);
    assert_eq!(
        conn.del(&[key.clone(), counter.clone(), unique_name("kiln-outbound-redis-test:absent")])
            .await
            .unwrap(),
        2
    );
    let set = unique_name("kiln-outbound-redis-test:set");
    assert_eq!(
        conn.sadd(&set, &["a".into(), "b".into(), "a".into()])
            .await
            .unwrap(),
        2
    );
    let mut members = conn.smembers(&set).await.unwrap();
    members.sort();
    assert_eq!(members, ["a", "b"]);
    assert_eq!(conn.srem(&set, &["a".into(), "z".into()]).await.unwrap(), 1);
    assert_eq!(conn.incr(&set).await, Err(Error::TypeError));
    conn.publish(&unique_name("kiln-outbound-redis-test:channel"), b"payload").await.unwrap();
    let list = unique_name("kiln-outbound-redis-test:list");
    let pushed = conn.execute("RPUSH", vec![bin(&list), bin("x"), Parameter::Int64(7)]).await.unwrap();
    assert_eq!(pushed, [RedisValue::Int64(2)]);
    let range = conn.execute("LRANGE", vec![bin(&list), Parameter::Int64(0), Parameter::Int64(-1)]).await.unwrap();
    assert_eq!(range, [RedisValue::Binary(b"x".to_vec()), RedisValue::Binary(b"7".to_vec())]);
    let status = conn.execute("SET", vec![bin(&list), bin("v")]).await.unwrap();
    assert_eq!(status, [RedisValue::Status("OK".into())]);
    conn.del(&[set, list]).await.unwrap();
}

#[tokio::test]
async fn connections_are_cached_per_address_and_bad_addresses_fail() {
    require!(REDIS);
    let connections = Connections::new();
    let key = unique_name("kiln-outbound-redis-test:shared");
    open(&connections).await.set(&key, b"1").await.unwrap();
    assert_eq!(open(&connections).await.get(&key).await.unwrap(), Some(b"1".to_vec()));
    open(&connections).await.del(&[key]).await.unwrap();
    assert!(matches!(
        connections.open("not a url").await,
        Err(Error::InvalidAddress(_))
    ));
    assert!(matches!(
        connections.open("redis://127.0.0.1:1").await,
        Err(Error::Other(_))
    ));
}
