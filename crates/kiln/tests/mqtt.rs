//! Outbound MQTT end to end: the `spin-rust-mqtt` guest (Rust `spin-sdk`
//! 5.2.0, `fermyon:spin/mqtt@2.0.0`) served by `kiln up` publishes to the
//! local Mosquitto broker, where a rumqttc subscriber checks what arrives;
//! brokers missing from `allowed_outbound_hosts` get `invalid-address`.
//! `spin-rust-mqtt-p3` (`spin-sdk` 7.0.0) does the same through Preview 3's
//! `spin:mqtt/mqtt@3.0.0`.

mod common;

use std::time::Duration;

use common::*;
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, QoS};

const BROKER: &str = "127.0.0.1:1883";

/// A name no other test run shares (topics, client ids).
fn unique(what: &str) -> String {
    kiln_test_support::unique_name(&format!("kiln-e2e-{what}"))
}

/// An app serving the guest on `/...`, with `allowed_outbound_hosts` as given.
fn app(allowed_outbound_hosts: &str) -> tempfile::TempDir {
    app_with("spin_rust_mqtt.wasm", allowed_outbound_hosts)
}

/// An app serving guest `wasm_name` on `/...`, with `allowed_outbound_hosts`.
fn app_with(wasm_name: &str, allowed_outbound_hosts: &str) -> tempfile::TempDir {
    let allowed = format!("allowed_outbound_hosts = {allowed_outbound_hosts}");
    app_dir(&one_route_app("mqtt", "mqtt", guest(wasm_name), &allowed), &[])
}

/// Asks the guest to publish `body` to `topic` through `address`.
async fn publish(kiln: &Kiln, address: &str, topic: &str, qos: u8, body: &str) -> (u16, String) {
    let qos = qos.to_string();
    let resp = client()
        .post(kiln.url("/publish"))
        .query(&[("address", address), ("topic", topic), ("qos", qos.as_str())])
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// A subscriber to `topic`, once the broker has confirmed the subscription.
async fn subscribe(topic: &str) -> (AsyncClient, EventLoop) {
    let (client, mut events) = AsyncClient::new(MqttOptions::new(unique("sub"), "127.0.0.1", 1883), 16);
    client.subscribe(topic, QoS::ExactlyOnce).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !matches!(events.poll().await.unwrap(), Event::Incoming(Incoming::SubAck(_))) {}
    })
    .await
    .expect("no SUBACK within 10 s");
    (client, events)
}

/// The next message the subscriber receives: (topic, payload).
async fn next_message(events: &mut EventLoop) -> (String, String) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Incoming::Publish(publish)) = events.poll().await.unwrap() {
                return (publish.topic, String::from_utf8_lossy(&publish.payload).into_owned());
            }
        }
    })
    .await
    .expect("no message within 10 s")
}

/// Has `kiln` publish `{greeting} at QoS n` to `topic` through `address`
/// at each QoS, checking that the subscriber `events` gets each message.
async fn publish_at_every_qos(kiln: &Kiln, address: &str, topic: &str, events: &mut EventLoop, greeting: &str) {
    for qos in [0u8, 1, 2] {
        let body = format!("{greeting} at QoS {qos}");
        assert_eq!(publish(kiln, address, topic, qos, &body).await, (200, "published".into()));
        assert_eq!(next_message(events).await, (topic.to_string(), body));
    }
}

#[test]
fn publishes_at_every_qos_to_a_listed_broker() {
    require!(kiln_test_support::MOSQUITTO);
    let kiln = serve(app(r#"["mqtt://127.0.0.1:1883"]"#));
    let topic = unique("topic");
    let address = format!("mqtt://{BROKER}?client_id={}", unique("guest"));
    rt().block_on(async {
        let (_client, mut events) = subscribe(&topic).await;
        publish_at_every_qos(&kiln, &address, &topic, &mut events, "hello").await;
        // The cached connection serves later requests too.
        assert_eq!(publish(&kiln, &address, &topic, 1, "again").await, (200, "published".into()));
        assert_eq!(next_message(&mut events).await, (topic.clone(), "again".into()));
    });
}

#[test]
fn an_unlisted_broker_is_invalid_address() {
    require!(kiln_test_support::MOSQUITTO);
    let address = format!("mqtt://{BROKER}?client_id={}", unique("guest"));
    let denied = (500, "error: Error::InvalidAddress".to_string());
    for allowed in ["[]", r#"["mqtt://127.0.0.1:1884"]"#, r#"["mqtt://10.0.0.1:1883"]"#] {
        let kiln = serve(app(allowed));
        rt().block_on(async {
            assert_eq!(publish(&kiln, &address, &unique("topic"), 1, "nope").await, denied, "{allowed}");
        });
    }
}

#[test]
fn bad_addresses_and_unreachable_brokers_are_errors_not_traps() {
    let kiln = serve(app(r#"["mqtt://127.0.0.1:1"]"#));
    rt().block_on(async {
        // No client_id: Spin's address format requires one.
        let (status, body) = publish(&kiln, "mqtt://127.0.0.1:1", "t", 0, "x").await;
        assert_eq!((status, body.as_str()), (500, "error: Error::InvalidAddress"));
        // Listed, but nothing listens there.
        let (status, body) = publish(&kiln, "mqtt://127.0.0.1:1?client_id=x", "t", 0, "x").await;
        assert_eq!(status, 500);
        assert!(body.starts_with("error: Error::ConnectionFailed("), "{body}");
        // The instance and the server are still fine.
        let (status, _) = publish(&kiln, "mqtt://127.0.0.1:1?client_id=x", "t", 0, "x").await;
        assert_eq!(status, 500);
    });
}

#[test]
fn preview_3_guests_publish_at_every_qos_and_are_denied_unlisted_brokers() {
    require!(kiln_test_support::MOSQUITTO);
    let topic = unique("topic-p3");
    let address = format!("mqtt://{BROKER}?client_id={}", unique("guest-p3"));
    let allowed = app_with("spin_rust_mqtt_p3.wasm", r#"["mqtt://127.0.0.1:1883"]"#);
    let denied = app_with("spin_rust_mqtt_p3.wasm", r#"["mqtt://127.0.0.1:1884"]"#);
    let kiln = Kiln::up(allowed.path(), &[]);
    let kiln_denied = Kiln::up(denied.path(), &[]);
    rt().block_on(async {
        let (_client, mut events) = subscribe(&topic).await;
        publish_at_every_qos(&kiln, &address, &topic, &mut events, "hello from Preview 3").await;
        assert_eq!(
            publish(&kiln_denied, &address, &topic, 1, "nope").await,
            (500, "error: Error::InvalidAddress".into())
        );
    });
}

#[test]
fn mqtts_to_a_plain_broker_is_a_connection_error_and_plain_still_works() {
    require!(kiln_test_support::MOSQUITTO);
    // The local broker speaks plain MQTT on 1883: a TLS handshake with it
    // fails. `mqtts://` needs its own grant; `mqtt://` is unaffected.
    let kiln = serve(app(r#"["mqtts://127.0.0.1:1883", "mqtt://127.0.0.1:1883"]"#));
    let topic = unique("topic-tls");
    rt().block_on(async {
        let tls = format!("mqtts://{BROKER}?client_id={}", unique("guest-tls"));
        let (status, body) = publish(&kiln, &tls, &topic, 1, "x").await;
        assert_eq!(status, 500, "{body}");
        assert!(body.starts_with("error: Error::ConnectionFailed("), "{body}");
        let (_client, mut events) = subscribe(&topic).await;
        let plain = format!("mqtt://{BROKER}?client_id={}", unique("guest-plain"));
        assert_eq!(publish(&kiln, &plain, &topic, 1, "plain").await, (200, "published".into()));
        assert_eq!(next_message(&mut events).await, (topic.clone(), "plain".into()));
    });
    // Without its own grant, `mqtts://` is denied like any other address.
    let kiln = serve(app(r#"["mqtt://127.0.0.1:1883"]"#));
    rt().block_on(async {
        let tls = format!("mqtts://{BROKER}?client_id={}", unique("guest-tls"));
        assert_eq!(publish(&kiln, &tls, &topic, 1, "x").await, (500, "error: Error::InvalidAddress".into()));
    });
}
