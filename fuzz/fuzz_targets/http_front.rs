//! The HTTP/1 front end: raw client bytes through hyper's parser, Spin
//! routing and the CGI environment a WAGI module would get. Never panics,
//! and whatever the client sends, the server answers with HTTP or closes.
#![no_main]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use kiln_routing::Router;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn router() -> &'static Router<&'static str> {
    static ROUTER: OnceLock<Router<&'static str>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let routes = ["/", "/hello", "/users/:id", "/users/:id/...", "/static/...", "/caf\u{e9}"];
        Router::build(routes.iter().map(|r| (r.to_string(), *r)).collect()).expect("fixed routes")
    })
}

async fn handle(request: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    // Bodies are read to the end, as executors do, but bounded.
    let body = http_body_util::Limited::new(body, 64 * 1024).collect().await;
    let length = body.map(|b| b.to_bytes().len() as u64).unwrap_or(0);
    let Some(found) = router().route(parts.uri.path()) else {
        return Ok(hyper::Response::builder().status(404).body(Full::default()).unwrap_or_default());
    };
    let component_route = found.pattern.component_route();
    let full_url = format!("http://fuzz{}", parts.uri);
    let env = kiln_cgi::build_env(&kiln_cgi::CgiRequest {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        client_addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
        server_name: "fuzz",
        server_port: 80,
        server_protocol: "HTTP/1.1",
        server_software: "Kiln/fuzz",
        full_url: &full_url,
        matched_route: found.pattern.as_str(),
        component_route: &component_route,
        path_info: &found.path_info,
        base_path: "/",
        content_length: length,
    });
    let mut names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate CGI variable");
    assert!(!names.contains(&"HTTP_PROXY"), "httpoxy");
    Ok(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
}

fuzz_target!(|data: &[u8]| {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime")
    });
    runtime.block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let serve = hyper::server::conn::http1::Builder::new()
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(server), hyper::service::service_fn(handle));
        let exchange = async {
            let _ = client.write_all(data).await;
            let _ = client.shutdown().await;
            let mut answer = Vec::new();
            let _ = client.read_to_end(&mut answer).await;
            answer
        };
        let Ok((_, answer)) = tokio::time::timeout(Duration::from_secs(2), async { tokio::join!(serve, exchange) }).await
        else {
            return;
        };
        if !answer.is_empty() {
            assert!(answer.starts_with(b"HTTP/1."), "not an HTTP answer: {:?}", &answer[..answer.len().min(64)]);
        }
    });
});
