//! Publishing through a real Mosquitto broker at 127.0.0.1:1883: each test
//! subscribes with its own rumqttc client to a unique topic and checks what
//! arrives. Without a broker the tests skip, except with `CI=true`, where
//! they fail.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kiln_outbound_mqtt::{ConnectionPool, Error, Qos};
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, QoS};

const BROKER: &str = "127.0.0.1:1883";

/// A name no other test run shares.
fn unique(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("kiln-mqtt-test-{test}-{}-{nanos}", std::process::id())
}

/// Whether the broker answers; skips (or fails in CI) when it does not.
async fn broker_available() -> bool {
    if tokio::net::TcpStream::connect(BROKER).await.is_ok() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(!ci, "no MQTT broker at {BROKER} (CI=true, so this fails instead of skipping)");
    eprintln!("SKIPPED: no MQTT broker at {BROKER}");
    false
}

/// A subscriber to `topic`, once the broker has confirmed the subscription.
async fn subscribe(topic: &str) -> EventLoop {
    let (client, mut events) = AsyncClient::new(MqttOptions::new(unique("sub"), "127.0.0.1", 1883), 16);
    client.subscribe(topic, QoS::ExactlyOnce).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Incoming::SubAck(_)) = events.poll().await.unwrap() {
                break;
            }
        }
    })
    .await
    .unwrap();
    // The client must outlive the event loop's use: leak it into the task.
    std::mem::forget(client);
    events
}

/// The next message's payload on the subscription.
async fn next_payload(events: &mut EventLoop) -> Vec<u8> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Incoming::Publish(publish)) = events.poll().await.unwrap() {
                return publish.payload.to_vec();
            }
        }
    })
    .await
    .expect("no message within 10 s")
}

/// A publisher's address, unique to the test.
fn publisher_address() -> String {
    format!("mqtt://{BROKER}?client_id={}", unique("pub"))
}

/// A unique topic and a subscriber to it, or `None` (the test skips) when
/// the broker is absent.
async fn subscribed_topic() -> Option<(String, EventLoop)> {
    if !broker_available().await {
        return None;
    }
    let topic = unique("topic");
    let subscriber = subscribe(&topic).await;
    Some((topic, subscriber))
}

#[tokio::test]
async fn publishes_at_every_qos_and_reuses_the_connection() {
    let Some((topic, mut subscriber)) = subscribed_topic().await else { return };
    let pool = ConnectionPool::default();
    let address = publisher_address();
    for (i, qos) in [Qos::AtMostOnce, Qos::AtLeastOnce, Qos::ExactlyOnce].into_iter().enumerate() {
        let connection = pool.open(&address, "", "", 30).await.unwrap();
        let payload = format!("message {i} at {qos:?}").into_bytes();
        connection.publish(&topic, payload.clone(), qos).await.unwrap();
        assert_eq!(next_payload(&mut subscriber).await, payload);
    }
    assert_eq!(pool.len(), 1, "one cached connection for one address");
}

#[tokio::test]
async fn concurrent_publishes_on_one_connection_all_complete() {
    let Some((topic, mut subscriber)) = subscribed_topic().await else { return };
    let pool = ConnectionPool::default();
    let address = publisher_address();
    let connection = pool.open(&address, "", "", 5).await.unwrap();
    let publishes = (0..20).map(|i| {
        let (connection, topic) = (connection.clone(), topic.clone());
        let qos = [Qos::AtMostOnce, Qos::AtLeastOnce, Qos::ExactlyOnce][i % 3];
        tokio::spawn(async move { connection.publish(&topic, vec![i as u8], qos).await })
    });
    for publish in publishes.collect::<Vec<_>>() {
        publish.await.unwrap().unwrap();
    }
    let mut received = Vec::new();
    for _ in 0..20 {
        received.extend(next_payload(&mut subscriber).await);
    }
    received.sort();
    assert_eq!(received, (0..20).collect::<Vec<u8>>());
}

#[tokio::test]
async fn different_settings_get_different_connections() {
    if !broker_available().await {
        return;
    }
    let pool = ConnectionPool::default();
    let address = publisher_address();
    let other = publisher_address();
    pool.open(&address, "", "", 30).await.unwrap();
    pool.open(&address, "", "", 30).await.unwrap();
    pool.open(&other, "", "", 30).await.unwrap();
    pool.open(&other, "", "", 60).await.unwrap();
    assert_eq!(pool.len(), 3);
}

#[tokio::test]
async fn the_pool_limit_is_too_many_connections() {
    if !broker_available().await {
        return;
    }
    let pool = ConnectionPool::new(1);
    pool.open(&format!("mqtt://{BROKER}?client_id={}", unique("a")), "", "", 30).await.unwrap();
    let err = pool.open(&format!("mqtt://{BROKER}?client_id={}", unique("b")), "", "", 30).await.unwrap_err();
    assert_eq!(err, Error::TooManyConnections);
}

#[tokio::test]
async fn an_unreachable_broker_is_connection_failed() {
    // Nothing listens on port 1 of the loopback address.
    let pool = ConnectionPool::default();
    let err = pool.open("mqtt://127.0.0.1:1?client_id=x", "", "", 30).await.unwrap_err();
    assert!(matches!(err, Error::ConnectionFailed(_)), "{err:?}");
    assert!(pool.is_empty(), "a failed connection is not cached");
}

#[tokio::test]
async fn a_bad_address_is_invalid_address() {
    let pool = ConnectionPool::default();
    let err = pool.open("mqtt://127.0.0.1:1883", "", "", 30).await.unwrap_err();
    assert!(matches!(err, Error::InvalidAddress(_)), "{err:?}");
}

/// The local broker speaks plain MQTT only: an `mqtts://` connection to it
/// fails the TLS handshake, which is the interface's connection error, and
/// the plain connection beside it still publishes.
#[tokio::test]
async fn mqtts_to_a_plain_broker_is_a_connection_error() {
    if !broker_available().await {
        return;
    }
    let pool = ConnectionPool::default();
    let address = format!("mqtts://{BROKER}?client_id={}", unique("tls"));
    match pool.open(&address, "", "", 30).await {
        Err(Error::ConnectionFailed(message)) => assert!(!message.is_empty()),
        Err(other) => panic!("not a connection error: {other:?}"),
        Ok(_) => panic!("a TLS session with a plain broker"),
    }
    let topic = unique("plain-beside-tls");
    let mut events = subscribe(&topic).await;
    let plain = pool.open(&format!("mqtt://{BROKER}?client_id={}", unique("plain")), "", "", 30).await.unwrap();
    plain.publish(&topic, b"still plain".to_vec(), Qos::AtLeastOnce).await.unwrap();
    assert_eq!(next_payload(&mut events).await, b"still plain");
}
