//! Outbound HTTP end to end: the `spin-rust-outbound` guest (Rust `spin-sdk`
//! 5.2.0, `wasi:http/outgoing-handler@0.2.0`) served by `kiln up`, sending
//! requests to a local upstream server this test starts, to its own app
//! (relative URLs, `self`) and to a private component (`*.spin.internal`),
//! each allowed only when `allowed_outbound_hosts` lists it. Also: the
//! Preview 3 guest's relative URLs, the `spin-*` headers and the loop guard
//! of in-process requests, and `{{ variable }}` entries resolved from
//! `--variable`, the environment and (changed while serving) a Vault
//! stand-in.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use common::*;

/// A local HTTP/1.1 upstream: `GET /data` answers `upstream says hi`,
/// `POST /upload` answers `201 received N bytes`; it counts requests.
struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    /// TCP connections accepted.
    connections: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Upstream {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let counter = hits.clone();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        async move {
                            let (status, body) = match (req.method().as_str(), req.uri().path()) {
                                ("GET", "/data") => (200, "upstream says hi".to_string()),
                                ("POST", "/upload") => {
                                    let bytes = req.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                                    (201, format!("received {} bytes", bytes.len()))
                                }
                                _ => (404, "no such upstream route".to_string()),
                            };
                            let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, hits, connections, _runtime: runtime }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// An app with the outbound guest on `/...` allowed `allowed`, plus a
/// second instance of it, `back`, on a private route.
fn app(allowed: &[String]) -> tempfile::TempDir {
    let wasm = guest("spin_rust_outbound.wasm");
    app_dir(&manifest(&wasm, allowed), &[])
}

fn manifest(wasm: &Path, allowed: &[String]) -> String {
    front_and_private_app("outbound", "front", "back", wasm, &allowed_hosts(allowed))
}

fn fetch(kiln: &Kiln, url: &str) -> (u16, String) {
    rt().block_on(async {
        let resp = client().get(kiln.url(&format!("/fetch?url={}", percent_encode(url)))).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

/// Fetches each of `urls` through the guest, expecting a 500 whose body
/// names `error`.
#[track_caller]
fn expect_denied<S: AsRef<str>>(kiln: &Kiln, urls: &[S], error: &str) {
    for url in urls {
        let url = url.as_ref();
        let (status, body) = fetch(kiln, url);
        assert_eq!(status, 500, "{url}: {body}");
        assert!(body.contains(error), "{url}: {body}");
    }
}

fn post(kiln: &Kiln, url: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    rt().block_on(async {
        let resp = client().post(kiln.url(&format!("/fetch?url={}", percent_encode(url)))).body(body).send().await.unwrap();
        (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
    })
}

#[test]
fn a_listed_host_is_reached() {
    let upstream = Upstream::start();
    let kiln = serve(app(&[format!("http://{}", upstream.addr)]));
    let (status, body) = fetch(&kiln, &upstream.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    let (status, body) = fetch(&kiln, &upstream.url("/missing"));
    assert_eq!((status, body.as_str()), (404, "no such upstream route"));
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 2);
}

#[test]
fn sequential_fetches_reuse_pooled_connections() {
    let upstream = Upstream::start();
    let kiln = serve(app(&[format!("http://{}", upstream.addr)]));
    const N: usize = 8;
    for _ in 0..N {
        let (status, body) = fetch(&kiln, &upstream.url("/data"));
        assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    }
    assert_eq!(upstream.hits.load(Ordering::SeqCst), N);
    let connections = upstream.connections.load(Ordering::SeqCst);
    assert!(connections < N, "{N} sequential fetches opened {connections} connections");
    // Each fetch is a fresh guest instance: the pool outlives them.
    eprintln!("{N} sequential fetches used {connections} connection(s)");
}

#[test]
fn an_unlisted_host_is_denied() {
    let upstream = Upstream::start();
    // Same host, another port; and nothing for https://example.com.
    let kiln = serve(app(&["http://127.0.0.1:1".to_string()]));
    expect_denied(&kiln, &[upstream.url("/data"), "https://example.com/".to_string()], "HttpRequestDenied");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0, "a denied request reached the server");
}

#[test]
fn request_and_response_bodies_stream() {
    let upstream = Upstream::start();
    let kiln = serve(app(&[format!("http://{}", upstream.addr)]));
    let body: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let (status, answer) = post(&kiln, &upstream.url("/upload"), body);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(String::from_utf8_lossy(&answer), "received 3145728 bytes");
}

#[test]
fn a_relative_url_reaches_the_apps_own_routes_when_self_is_listed() {
    let kiln = serve(app(&["http://self".to_string()]));
    let (status, body) = fetch(&kiln, "/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin-rust-outbound"));
    let (status, body) = fetch(&kiln, "http://self.alt/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin-rust-outbound"));
    // A streamed body there and back, in-process.
    let payload: Vec<u8> = (0..512 * 1024).map(|i| (i % 253) as u8).collect();
    let (status, echoed) = post(&kiln, "/echo", payload.clone());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&echoed));
    assert_eq!(echoed, payload);

    let kiln = serve(app(&[]));
    expect_denied(&kiln, &["/hello"], "HttpRequestDenied");
}

#[test]
fn spin_internal_reaches_a_private_component_when_listed() {
    let kiln = serve(app(&["http://back.spin.internal".to_string()]));
    let (status, body) = fetch(&kiln, "http://back.spin.internal/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin-rust-outbound"));
    // Not listed: another component, and the app itself.
    expect_denied(&kiln, &["http://front.spin.internal/hello", "/hello"], "HttpRequestDenied");
    // The private component has no public route.
    let status = rt().block_on(async { client().get(kiln.url("/hello")).send().await.unwrap().status().as_u16() });
    assert_eq!(status, 200, "front serves /...");
}

fn tcp(kiln: &Kiln, addr: &str) -> (u16, String) {
    rt().block_on(async {
        let resp = client().get(kiln.url(&format!("/tcp?addr={}", percent_encode(addr)))).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

#[test]
fn sockets_reach_only_tcp_entries() {
    let upstream = Upstream::start();
    let addr = upstream.addr.to_string();
    let kiln = serve(app(&[format!("tcp://{addr}")]));
    let (status, body) = tcp(&kiln, &addr);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("HTTP/1.0 200") && body.ends_with("upstream says hi"), "{body}");
    // Listed for HTTP only, or another port: no socket.
    let other = format!("127.0.0.1:{}", upstream.addr.port() + 1);
    let kiln = serve(app(&[format!("http://{addr}"), format!("tcp://{other}")]));
    let (status, body) = tcp(&kiln, &addr);
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("PermissionDenied"), "{body}");
    let kiln = serve(app(&[format!("http://{addr}")]));
    let (status, body) = tcp(&kiln, &addr);
    assert_eq!(status, 500, "{body}");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1, "a denied connection reached the server");
}

/// The guest `file` alone in the app `name` (its component named alike),
/// allowed `allowed`.
fn lone_app(name: &str, file: &str, allowed: &[String]) -> tempfile::TempDir {
    app_dir(&one_route_app(name, name, guest(file), &allowed_hosts(allowed)), &[])
}

/// The Spin 1 guest (`fermyon:spin/http`) alone in an app allowed `allowed`.
fn spin1_app(allowed: &[String]) -> tempfile::TempDir {
    lone_app("spin1", "spin1_outbound.wasm", allowed)
}

#[test]
fn spin1_http_reaches_listed_hosts_and_the_app_itself() {
    let upstream = Upstream::start();
    let kiln = serve(spin1_app(&[format!("http://{}", upstream.addr), "http://self".to_string()]));
    let (status, body) = fetch(&kiln, &upstream.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    let (status, body) = fetch(&kiln, "/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin1-outbound"));
}

#[test]
fn spin1_http_denies_unlisted_hosts() {
    let upstream = Upstream::start();
    let kiln = serve(spin1_app(&["http://127.0.0.1:1".to_string()]));
    expect_denied(&kiln, &[upstream.url("/data"), "/hello".to_string()], "destination-not-allowed");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

/// The Preview 3 guest (`wasi:http/client@0.3.0`) alone in an app.
fn p3_app(allowed: &[String]) -> tempfile::TempDir {
    lone_app("p3", "spin_rust_p3_outbound.wasm", allowed)
}

#[test]
fn preview3_client_goes_through_the_same_policy() {
    let upstream = Upstream::start();
    let kiln = serve(p3_app(&[format!("http://{}", upstream.addr)]));
    let (status, body) = fetch(&kiln, &upstream.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    let kiln = serve(p3_app(&["http://127.0.0.1:1".to_string()]));
    expect_denied(&kiln, &[upstream.url("/data")], "HttpRequestDenied");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn preview3_relative_urls_reach_the_app_itself() {
    let kiln = serve(p3_app(&["http://self".to_string()]));
    let (status, body) = fetch(&kiln, "/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin-rust-p3-outbound"));
    // Routed like a client's request: the spin-* headers of the `/...` route.
    let (status, body) = fetch(&kiln, "/headers/a?b=1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("spin-full-url: http://{}/headers/a?b=1", kiln.addr)), "{body}");
    assert!(body.contains("spin-path-info: /headers/a\n"), "{body}");
    // Without a `self` entry: denied, as for Preview 2.
    let kiln = serve(p3_app(&["http://127.0.0.1:1".to_string()]));
    expect_denied(&kiln, &["/hello"], "HttpRequestDenied");
}

/// The `spin-*` headers a `/headers` route answered, as `name: value` lines.
fn header_lines(body: &str) -> Vec<&str> {
    body.lines().collect()
}

/// The `spin-*` headers of a request from `client` for `full_url` on the
/// `/...` route, as the `/headers` route lists them.
fn spin_headers(client: std::net::SocketAddr, full_url: &str, path_info: &str) -> Vec<String> {
    vec![
        "spin-base-path: /".to_string(),
        format!("spin-client-addr: {client}"),
        "spin-component-route: ".to_string(),
        format!("spin-full-url: {full_url}"),
        "spin-matched-route: /...".to_string(),
        format!("spin-path-info: {path_info}"),
        "spin-raw-component-route: /...".to_string(),
    ]
}

#[test]
fn in_process_requests_carry_the_spin_headers() {
    let kiln = serve(app(&["http://back.spin.internal".to_string(), "http://self".to_string()]));
    let addr = kiln.addr;
    // A private component, on Spin's synthetic `/...` route.
    let (status, body) = fetch(&kiln, "http://back.spin.internal/headers/x?y=1");
    assert_eq!(status, 200, "{body}");
    let full_url = "http://back.spin.internal/headers/x?y=1";
    assert_eq!(header_lines(&body), spin_headers(addr, full_url, "/headers/x"));
    // The app's own route, through the router.
    let (status, body) = fetch(&kiln, "/headers/z");
    assert_eq!(status, 200, "{body}");
    assert_eq!(header_lines(&body), spin_headers(addr, &format!("http://{addr}/headers/z"), "/headers/z"));
}

#[test]
fn a_loop_of_requests_to_the_app_itself_stops_with_loop_detected() {
    let kiln = serve(app(&["http://self".to_string(), "http://*.spin.internal".to_string()]));
    // The client's request is d=0; in-process hops 1 to 10 are served, the
    // 11th (sent by d=10) is refused.
    for base in ["", "http://front.spin.internal"] {
        let path = format!("/loop?d=0&base={}", percent_encode(base));
        let (status, body) = rt().block_on(async {
            let resp = client().get(kiln.url(&path)).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        });
        assert_eq!(status, 500, "{base}: {body}");
        assert!(body.starts_with("loop stopped at d=10: "), "{base}: {body}");
        assert!(body.contains("LoopDetected"), "{base}: {body}");
    }
    assert!(kiln.wait_for_output("more than 10 hops"), "{}", kiln.stderr.lock().unwrap());
    // The app still serves.
    let (status, body) = fetch(&kiln, "/hello");
    assert_eq!((status, body.as_str()), (200, "hello from spin-rust-outbound"));
}

/// The outbound guest allowed `http://{{ upstream }}`, the variable required.
fn templated_app() -> tempfile::TempDir {
    let wasm = guest("spin_rust_outbound.wasm");
    let front = r#"allowed_outbound_hosts = ["http://{{ upstream }}"]
[component.front.variables]
upstream = "{{ upstream }}""#;
    let manifest = Manifest::new("templated")
        .raw("[variables]\nupstream = { required = true }")
        .http("/...", "front")
        .component("front", wasm, front)
        .toml();
    app_dir(&manifest, &[])
}

#[test]
fn a_variable_picks_the_allowed_host() {
    let (first, second) = (Upstream::start(), Upstream::start());
    let dir = templated_app();
    // From --variable.
    let kiln = Kiln::up(dir.path(), &["--variable", &format!("upstream={}", first.addr)]);
    let (status, body) = fetch(&kiln, &first.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    expect_denied(&kiln, &[second.url("/data")], "HttpRequestDenied");
    drop(kiln);
    // From the environment.
    let mut command = std::process::Command::new(kiln_bin());
    command.env("SPIN_VARIABLE_UPSTREAM", second.addr.to_string());
    let kiln = Kiln::try_up_in(command, dir.path(), &[]).unwrap();
    let (status, body) = fetch(&kiln, &second.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    let (status, body) = fetch(&kiln, &first.url("/data"));
    assert_eq!(status, 500, "{body}");
    assert_eq!(first.hits.load(Ordering::SeqCst), 1);
    assert_eq!(second.hits.load(Ordering::SeqCst), 1);
    // No value at all: startup stops, naming the variable.
    let stderr = up_fails(dir.path());
    assert!(stderr.contains("upstream"), "{stderr}");
}

/// A stand-in for Vault's KV v2 read endpoint (`GET
/// /v1/secret/data/<name>`, token `test-token`) serving one secret,
/// `upstream`, whose value the test changes.
struct VaultStub {
    addr: SocketAddr,
    value: Arc<std::sync::Mutex<String>>,
    _runtime: tokio::runtime::Runtime,
}

impl VaultStub {
    fn start(value: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let value = Arc::new(std::sync::Mutex::new(value.to_string()));
        let current = value.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let current = current.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let authorized = req.headers().get("x-vault-token").is_some_and(|t| t == "test-token");
                        let (status, body) = match (authorized, req.uri().path()) {
                            (false, _) => (403, r#"{"errors":["permission denied"]}"#.to_string()),
                            (true, "/v1/secret/data/upstream") => {
                                let value = current.lock().unwrap().clone();
                                (200, serde_json::json!({ "data": { "data": { "value": value } } }).to_string())
                            }
                            _ => (404, r#"{"errors":[]}"#.to_string()),
                        };
                        let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                        *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        async move { Ok::<_, std::convert::Infallible>(resp) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, value, _runtime: runtime }
    }
}

#[test]
fn a_changed_provider_value_moves_the_allowed_host_while_serving() {
    let (first, second) = (Upstream::start(), Upstream::start());
    let vault = VaultStub::start(&first.addr.to_string());
    let dir = templated_app();
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[[variables_provider]]\ntype = \"vault\"\nurl = \"http://{}\"\ntoken = \"test-token\"\nmount = \"secret\"\n",
            vault.addr
        ),
    )
    .unwrap();
    let kiln = Kiln::up(dir.path(), &["--runtime-config-file", config.to_str().unwrap()]);
    let (status, body) = fetch(&kiln, &first.url("/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
    let (status, _) = fetch(&kiln, &second.url("/data"));
    assert_eq!(status, 500);
    // Rotated in Vault: the provider's cache expires within seconds, and the
    // next request after that is checked against the new host.
    *vault.value.lock().unwrap() = second.addr.to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, body) = fetch(&kiln, &second.url("/data"));
        if status == 200 {
            assert_eq!(body, "upstream says hi");
            break;
        }
        assert!(body.contains("HttpRequestDenied"), "{body}");
        assert!(std::time::Instant::now() < deadline, "the new value never took effect");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    expect_denied(&kiln, &[first.url("/data")], "HttpRequestDenied");
    assert_eq!(first.hits.load(Ordering::SeqCst), 1);
}

/// `[outbound_networking] block_networks` in the runtime config: checked on
/// the resolved address, so no spelling of a blocked address gets through
/// even when `allowed_outbound_hosts` allows every host.
#[test]
fn block_networks_refuse_every_spelling_of_a_blocked_address() {
    let upstream = Upstream::start();
    let port = upstream.addr.port();
    let dir = app(&["http://*:*".to_string(), "tcp://*:*".to_string()]);
    std::fs::write(
        dir.path().join("runtime-config.toml"),
        "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\", \"::1/128\", \"private\"]\n",
    )
    .unwrap();
    let config = dir.path().join("runtime-config.toml");
    let kiln = Kiln::up(dir.path(), &["--runtime-config-file", config.to_str().unwrap()]);
    for host in ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "[::1]"] {
        let (status, body) = fetch(&kiln, &format!("http://{host}:{port}/data"));
        assert_ne!(status, 200, "{host}: {body}");
        assert!(body.contains("DestinationIpProhibited") || body.contains("DnsError"), "{host}: {body}");
    }
    let (status, body) = tcp(&kiln, &upstream.addr.to_string());
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("PermissionDenied"), "{body}");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0, "a blocked address was reached");
    assert_eq!(upstream.connections.load(Ordering::SeqCst), 0, "a blocked address was connected to");
    drop(kiln);

    // The same app without the list reaches the server.
    let kiln = Kiln::up(dir.path(), &[]);
    let (status, body) = fetch(&kiln, &format!("http://localhost:{port}/data"));
    assert_eq!((status, body.as_str()), (200, "upstream says hi"));
}
