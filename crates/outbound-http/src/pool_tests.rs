//! `[outbound_http]` applied: the concurrency cap, and 0 refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use kiln_outbound_networking::BlockedNetworks;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::pool::{HttpClientConfig, HttpClients, HttpConfigError};

/// Requests the test server is handling right now, and the most at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A local HTTP/1.1 server that holds every request 150 ms before its
/// response, counting how many it holds at once.
async fn slow_server(in_flight: Arc<InFlight>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 1024];
                // One request per connection at a time; keep-alive loops.
                loop {
                    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buffer.clear();
                    let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
                    in_flight.most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    in_flight.now.fetch_sub(1, Ordering::SeqCst);
                    let response = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if socket.write_all(response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// Sends `count` requests at once through `clients`; returns the most the
/// server saw at once.
async fn most_at_once(clients: HttpClients, count: usize) -> usize {
    let in_flight = Arc::new(InFlight::default());
    let address = slow_server(in_flight.clone()).await;
    let clients = Arc::new(clients);
    let blocked = Arc::new(BlockedNetworks::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..count {
        let clients = clients.clone();
        let blocked = blocked.clone();
        tasks.push(tokio::spawn(async move {
            let body = http_body_util::Empty::<bytes::Bytes>::new().map_err(|never| match never {}).boxed_unsync();
            let request = http::Request::get(format!("http://{address}/")).body(body).expect("request");
            let response = clients.send(request, None, &blocked).await.expect("response");
            assert_eq!(response.status(), 200);
        }));
    }
    for task in tasks {
        task.await.expect("request task");
    }
    in_flight.most.load(Ordering::SeqCst)
}

#[tokio::test]
async fn max_concurrent_requests_caps_requests_in_flight() {
    let limited = HttpClients::new(HttpClientConfig { connection_pooling: true, max_concurrent_requests: Some(2) })
        .expect("clients");
    assert_eq!(most_at_once(limited, 6).await, 2);
    // Without the cap the same burst is served all at once, so the cap is
    // what held it back.
    assert_eq!(most_at_once(HttpClients::default(), 6).await, 6);
}

#[tokio::test]
async fn requests_go_through_without_pooling() {
    let unpooled = HttpClients::new(HttpClientConfig { connection_pooling: false, max_concurrent_requests: Some(1) })
        .expect("clients");
    assert_eq!(most_at_once(unpooled, 3).await, 1);
}

#[test]
fn zero_max_concurrent_requests_is_refused() {
    let zero = HttpClients::new(HttpClientConfig { connection_pooling: true, max_concurrent_requests: Some(0) });
    assert!(matches!(zero, Err(HttpConfigError::ZeroConcurrency)));
}
