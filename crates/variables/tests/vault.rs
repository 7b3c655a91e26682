//! `VaultProvider` against an in-test HTTP server implementing Vault's KV v2
//! read endpoint (no Vault server is available to the tests):
//!
//! `GET /v1/{mount}/data/{path}` with header `X-Vault-Token`
//! - wrong or missing token: 403 `{"errors":["permission denied"]}`
//! - no such secret: 404 `{"errors":[]}`
//! - otherwise 200 with the secret under `.data.data`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use indexmap::IndexMap;
use kiln_variables::{Provider, Resolver, VaultProvider};
use tokio::net::TcpListener;

const TOKEN: &str = "s.test-root-token";

/// The fake server's state: secrets by full path (`secret/app/api_key`),
/// each a JSON object of keys, and a request counter.
#[derive(Default)]
struct Vault {
    secrets: Mutex<HashMap<String, serde_json::Value>>,
    requests: AtomicUsize,
}

impl Vault {
    fn put(&self, path: &str, data: serde_json::Value) {
        self.secrets.lock().unwrap().insert(path.to_string(), data);
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn answer(&self, req: &Request<Incoming>) -> (StatusCode, serde_json::Value) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let token = req
            .headers()
            .get("X-Vault-Token")
            .and_then(|v| v.to_str().ok());
        if token != Some(TOKEN) {
            return (
                StatusCode::FORBIDDEN,
                serde_json::json!({ "errors": ["permission denied"] }),
            );
        }
        // /v1/{mount}/data/{path}
        let path = req.uri().path();
        let Some(rest) = path.strip_prefix("/v1/") else {
            return (StatusCode::NOT_FOUND, serde_json::json!({ "errors": [] }));
        };
        let Some((mount, secret)) = rest.split_once("/data/") else {
            return (StatusCode::NOT_FOUND, serde_json::json!({ "errors": [] }));
        };
        let key = format!("{mount}/{secret}");
        match self.secrets.lock().unwrap().get(&key) {
            None => (StatusCode::NOT_FOUND, serde_json::json!({ "errors": [] })),
            Some(data) => (
                StatusCode::OK,
                serde_json::json!({
                    "request_id": "00000000-0000-0000-0000-000000000000",
                    "lease_id": "",
                    "renewable": false,
                    "lease_duration": 0,
                    "data": {
                        "data": data,
                        "metadata": {
                            "created_time": "2024-01-01T00:00:00Z",
                            "deletion_time": "",
                            "destroyed": false,
                            "version": 1
                        }
                    },
                    "wrap_info": null,
                    "warnings": null,
                    "auth": null
                }),
            ),
        }
    }
}

/// Starts the fake Vault on a free port; it serves until the test ends.
async fn start_vault() -> (Arc<Vault>, String) {
    let vault = Arc::new(Vault::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let state = vault.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (status, body) = state.answer(&req);
                    async move {
                        let response = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body.to_string())))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (vault, format!("http://{addr}"))
}

fn provider(url: &str, token: &str, prefix: Option<&str>) -> VaultProvider {
    VaultProvider::new(url, token, "secret", prefix.map(str::to_string))
        .unwrap()
        .with_cache_ttl(Duration::ZERO)
}

#[tokio::test]
async fn reads_the_value_key_of_a_kv2_secret() {
    let (vault, url) = start_vault().await;
    vault.put("secret/api_key", serde_json::json!({ "value": "s3cr3t" }));
    vault.put(
        "secret/app/db_password",
        serde_json::json!({ "value": "pa55" }),
    );

    let p = provider(&url, TOKEN, None);
    assert_eq!(p.get("api_key").await.unwrap().as_deref(), Some("s3cr3t"));

    // A prefix is a path under the mount; slashes around it do not matter.
    let p = provider(&url, TOKEN, Some("/app/"));
    assert_eq!(p.get("db_password").await.unwrap().as_deref(), Some("pa55"));
    assert_eq!(vault.requests(), 2);
}

#[tokio::test]
async fn a_missing_secret_is_none() {
    let (vault, url) = start_vault().await;
    let p = provider(&url, TOKEN, None);
    assert_eq!(p.get("nothing_here").await.unwrap(), None);
    assert_eq!(vault.requests(), 1);
}

#[tokio::test]
async fn a_refused_token_is_an_error_that_does_not_show_it() {
    let (vault, url) = start_vault().await;
    vault.put("secret/api_key", serde_json::json!({ "value": "s3cr3t" }));
    let p = provider(&url, "s.wrong-token", None);
    let err = p.get("api_key").await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("403"), "{message}");
    assert!(message.contains("api_key"), "{message}");
    assert!(!message.contains("wrong-token"), "{message}");
    assert!(!message.contains("s3cr3t"), "{message}");
}

#[tokio::test]
async fn a_secret_without_a_value_key_is_an_error() {
    let (vault, url) = start_vault().await;
    vault.put("secret/api_key", serde_json::json!({ "password": "x" }));
    let p = provider(&url, TOKEN, None);
    let err = p.get("api_key").await.unwrap_err();
    assert!(err.to_string().contains("no `value` key"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_an_error() {
    // Bind and drop: nothing listens on the port afterwards.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = provider(&format!("http://127.0.0.1:{port}"), TOKEN, None);
    let err = p.get("api_key").await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("cannot read `api_key`"), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
}

#[tokio::test]
async fn answers_are_cached_for_the_ttl_only() {
    let (vault, url) = start_vault().await;
    vault.put("secret/api_key", serde_json::json!({ "value": "v1" }));

    let cached = VaultProvider::new(&url, TOKEN, "secret", None)
        .unwrap()
        .with_cache_ttl(Duration::from_secs(60));
    assert_eq!(cached.get("api_key").await.unwrap().as_deref(), Some("v1"));
    assert_eq!(cached.get("api_key").await.unwrap().as_deref(), Some("v1"));
    assert_eq!(cached.get("absent").await.unwrap(), None);
    assert_eq!(cached.get("absent").await.unwrap(), None);
    assert_eq!(vault.requests(), 2, "one request per name within the TTL");

    let short = VaultProvider::new(&url, TOKEN, "secret", None)
        .unwrap()
        .with_cache_ttl(Duration::from_millis(50));
    assert_eq!(short.get("api_key").await.unwrap().as_deref(), Some("v1"));
    vault.put("secret/api_key", serde_json::json!({ "value": "v2" }));
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        short.get("api_key").await.unwrap().as_deref(),
        Some("v2"),
        "a rotated secret is seen once the TTL has passed"
    );
}

#[tokio::test]
async fn a_rotated_secret_reaches_the_guest_through_the_resolver() {
    let (vault, url) = start_vault().await;
    vault.put("secret/api_token", serde_json::json!({ "value": "old" }));
    let variables: IndexMap<String, kiln_manifest::Variable> = [(
        "api_token".to_string(),
        kiln_manifest::Variable {
            default: None,
            required: true,
            secret: true,
        },
    )]
    .into_iter()
    .collect();
    let mut resolver = Resolver::new(&variables, vec![Arc::new(provider(&url, TOKEN, None))]);
    let component_vars: IndexMap<String, String> =
        [("token".to_string(), "Bearer {{ api_token }}".to_string())]
            .into_iter()
            .collect();
    resolver.add_component("web", &component_vars).unwrap();
    resolver.validate().await.unwrap();
    assert_eq!(
        resolver.resolve("web", "token").await.unwrap(),
        "Bearer old"
    );
    vault.put("secret/api_token", serde_json::json!({ "value": "new" }));
    assert_eq!(
        resolver.resolve("web", "token").await.unwrap(),
        "Bearer new"
    );
}

#[test]
fn debug_redacts_the_token_and_bad_settings_are_rejected() {
    let p = VaultProvider::new("http://127.0.0.1:8200", TOKEN, "secret", None).unwrap();
    let debug = format!("{p:?}");
    assert!(!debug.contains("test-root-token"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(debug.contains("127.0.0.1:8200"), "{debug}");

    let p =
        VaultProvider::new("http://user:hunter2@127.0.0.1:8200", TOKEN, "secret", None).unwrap();
    assert!(!format!("{p:?}").contains("hunter2"));

    assert!(VaultProvider::new("ftp://vault", TOKEN, "secret", None).is_err());
    assert!(VaultProvider::new("not a url", TOKEN, "secret", None).is_err());
    let err = VaultProvider::new("http://vault", "bad\ntoken", "secret", None).unwrap_err();
    assert!(!err.to_string().contains("bad\ntoken"), "{err}");
}
