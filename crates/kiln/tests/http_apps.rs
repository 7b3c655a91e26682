//! `kiln up` serving SDK-built guests: Spin Rust SDK (wasip1 and wasip2),
//! a streaming `wasi:http` component, Python and JavaScript apps.

mod common;

use common::*;
use sha2::{Digest, Sha256};

fn spin_rust_manifest(wasm: &std::path::Path) -> String {
    Manifest::new("rust-hello")
        .http("/echo/:who/...", "hello")
        .http("/...", "hello")
        .raw(r#"[[trigger.http]]
route = "/static"
static_response = { status_code = 201, headers = { x-static = "yes" }, body = "static body" }"#)
        .component(
            "hello",
            wasm,
            r#"files = [{ source = "assets", destination = "/data" }]
environment = { GREETING = "hi from the manifest" }"#,
        )
        .toml()
}

fn serve_spin_rust(wasm: &str) -> (tempfile::TempDir, Kiln) {
    let wasm = guest(wasm);
    let dir = app_dir(&spin_rust_manifest(&wasm), &[("assets/greeting.txt", b"hello from a file")]);
    let kiln = Kiln::up(dir.path(), &[]);
    (dir, kiln)
}

fn check_spin_rust_app(wasm: &str) {
    let (dir, kiln) = serve_spin_rust(wasm);
    let rt = rt();
    let client = client();
    rt.block_on(async {
        assert_hello(client.get(kiln.url("/hello")).send().await.unwrap()).await;

        let resp = client.get(kiln.url("/env")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "hi from the manifest");

        let resp = client.get(kiln.url("/file")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "hello from a file");

        let resp = client.get(kiln.url("/status/418")).send().await.unwrap();
        assert_eq!(resp.status(), 418);

        let resp = client.post(kiln.url("/body")).header("content-type", "application/x-test").body("echo me").send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "echo me");

        // A trap answers 500 for that request only.
        let resp = client.get(kiln.url("/panic")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);

        // Capabilities the manifest does not grant answer with the
        // interface's own error value: the guest handles it, nothing traps.
        for (path, expected) in [
            ("/kv", "kv open error: Error::AccessDenied"),
            ("/variable", "variable error: Error::Undefined(\"greeting\")"),
            ("/sqlite", "sqlite open error: Error::AccessDenied"),
        ] {
            let resp = client.get(kiln.url(path)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(resp.text().await.unwrap(), expected, "{path}");
        }

        let resp = client.get(kiln.url("/static")).send().await.unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers()["x-static"], "yes");
        assert_eq!(resp.text().await.unwrap(), "static body");
    });
    assert!(kiln.wait_for_output("[hello] handled /hello"), "guest stdout echoed with component id");
    assert!(kiln.wait_for_output("guest panic requested"), "trap logged");
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(stderr.contains("hello"), "trap log names the component: {stderr}");
    let log = std::fs::read_to_string(dir.path().join(".spin/logs/hello_stdout.txt")).unwrap();
    assert!(log.contains("handled /hello"), "stdout log file: {log}");
    let log = std::fs::read_to_string(dir.path().join(".spin/logs/hello_stderr.txt")).unwrap();
    assert!(log.contains("stderr /hello"), "stderr log file: {log}");
    assert_eq!(kiln.interrupt().code(), Some(0), "Ctrl-C exits 0");
}

#[test]
fn spin_rust_sdk_wasip1_module_answers_like_spin() {
    check_spin_rust_app("spin_rust_http_wasip1.wasm");
}

#[test]
fn spin_rust_sdk_wasip2_component_answers_like_spin() {
    check_spin_rust_app("spin_rust_http_wasip2.wasm");
}

#[test]
fn guest_sees_spin_request_headers_and_clients_cannot_spoof_them() {
    let (_dir, kiln) = serve_spin_rust("spin_rust_http_wasip2.wasm");
    let json: serde_json::Value = rt().block_on(async {
        client()
            .get(kiln.url("/echo/alice/x/y?q=1"))
            .header("spin-path-info", "/spoofed")
            .header("x-custom", "abc")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let h = &json["headers"];
    let base = format!("http://{}", kiln.addr);
    assert_eq!(h["spin-full-url"], format!("{base}/echo/alice/x/y?q=1"));
    assert_eq!(h["spin-path-info"], "/x/y");
    assert_eq!(h["spin-matched-route"], "/echo/:who/...");
    assert_eq!(h["spin-raw-component-route"], "/echo/:who/...");
    assert_eq!(h["spin-component-route"], "/echo/:who");
    assert_eq!(h["spin-base-path"], "/");
    assert_eq!(h["spin-path-match-who"], "alice");
    assert!(h["spin-client-addr"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(h["x-custom"], "abc");
    assert_eq!(json["method"], "GET");
}

#[test]
fn routes_are_printed_and_reserved_routes_answer() {
    let (_dir, kiln) = serve_spin_rust("spin_rust_http_wasip2.wasm");
    // Route lines follow the `Serving` line; the reader thread may lag behind.
    let echo_line = format!("hello: http://{}/echo/:who (wildcard)", kiln.addr);
    let root_line = format!("hello: http://{}/ (wildcard)", kiln.addr);
    let static_line = format!("static response: http://{}/static", kiln.addr);
    for line in ["Available Routes:", &echo_line, &root_line, &static_line] {
        assert!(kiln.wait_for_output(line), "missing `{line}` in {}", kiln.stdout.lock().unwrap());
    }
    rt().block_on(async {
        let resp = client().get(kiln.url("/.well-known/spin/health")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "OK");
        let resp = client().get(kiln.url("/.well-known/spin/info")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let info: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(info["app"], "rust-hello");
    });
}

#[test]
fn http2_prior_knowledge_is_served() {
    let (_dir, kiln) = serve_spin_rust("spin_rust_http_wasip2.wasm");
    let client = reqwest::Client::builder().no_proxy().http2_prior_knowledge().build().unwrap();
    rt().block_on(async {
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.version(), reqwest::Version::HTTP_2);
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");
    });
}

#[test]
fn follow_and_quiet_filter_console_echo_but_not_log_files() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    let dir = app_dir(&spin_rust_manifest(&wasm), &[("assets/greeting.txt", b"x")]);
    let logs = tempfile::tempdir().unwrap();
    let kiln = Kiln::up(dir.path(), &["--quiet", "--log-dir", logs.path().to_str().unwrap()]);
    rt().block_on(async { client().get(kiln.url("/hello")).send().await.unwrap() });
    let log_file = logs.path().join("hello_stdout.txt");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&log_file).unwrap_or_default().contains("handled /hello") {
        assert!(std::time::Instant::now() < deadline, "log file in --log-dir");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!kiln.stdout.lock().unwrap().contains("[hello]"), "--quiet silences the echo");

    let kiln = Kiln::up(dir.path(), &["--follow", "someone-else"]);
    rt().block_on(async { client().get(kiln.url("/hello")).send().await.unwrap() });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!kiln.stdout.lock().unwrap().contains("[hello]"), "--follow filters other components");
}

const TEN_MB: usize = 10 * 1024 * 1024;

#[test]
fn ctrl_c_lets_an_in_flight_response_finish_then_exits_zero() {
    let wasm = guest("wasi_http_stream.wasm");
    let kiln = Kiln::up(&wasm, &[]);
    let url = kiln.url(&format!("/stream?bytes={TEN_MB}"));
    let rt = rt();
    let mut resp = rt.block_on(async { client().get(url).send().await.unwrap() });
    assert_eq!(resp.status(), 200);
    // Read a little, interrupt the server mid-response, then read the rest.
    let first = rt.block_on(resp.chunk()).unwrap().expect("first chunk").len();
    let pid = kiln_pid(&kiln);
    std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let mut total = first;
    while let Some(chunk) = rt.block_on(resp.chunk()).unwrap() {
        total += chunk.len();
    }
    assert_eq!(total, TEN_MB, "the in-flight response completed after Ctrl-C");
    assert_eq!(kiln.interrupt().code(), Some(0));
}

fn kiln_pid(kiln: &Kiln) -> String {
    kiln.pid().to_string()
}

#[test]
fn wasi_http_component_streams_10mb_both_ways() {
    let wasm = guest("wasi_http_stream.wasm");
    let kiln = Kiln::up(&wasm, &[]);
    rt().block_on(async {
        let client = client();
        let mut resp = client.get(kiln.url(&format!("/stream?bytes={TEN_MB}"))).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut hasher = Sha256::new();
        let mut len = 0usize;
        let mut chunks = 0usize;
        while let Some(chunk) = resp.chunk().await.unwrap() {
            len += chunk.len();
            chunks += 1;
            hasher.update(&chunk);
        }
        let expected: Vec<u8> = (0..TEN_MB).map(|i| (i % 251) as u8).collect();
        assert_eq!(len, TEN_MB);
        assert!(chunks > 1, "response arrived streamed");
        assert_eq!(hex::encode(hasher.finalize()), hex::encode(Sha256::digest(&expected)));

        // Request body streamed in chunks from a channel: never one buffer.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
        let body = expected.clone();
        tokio::spawn(async move {
            for chunk in body.chunks(256 * 1024) {
                if tx.send(Ok(chunk.to_vec())).await.is_err() {
                    break;
                }
            }
        });
        let stream = futures_util_stream(rx);
        let resp = client
            .post(kiln.url("/hash"))
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-body-len"], TEN_MB.to_string().as_str());
        assert_eq!(resp.text().await.unwrap().trim(), hex::encode(Sha256::digest(&expected)));
    });
}

fn futures_util_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[test]
fn python_componentize_py_app_answers() {
    let Some(wasm) = optional_guest_or_ci("py_http.wasm") else { return };
    let kiln = Kiln::up(&wasm, &[]);
    rt().block_on(async {
        let resp = client().get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/plain");
        assert_eq!(resp.text().await.unwrap(), "Hello from Python!");
        let resp = client().get(kiln.url("/some/path")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "/some/path");
        // A bare .wasm is granted nothing.
        let resp = client().get(kiln.url("/kv/default/k")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.text().await.unwrap(), "error: Error_AccessDenied");
    });
}

/// The Python SDK's key-value, variables and SQLite modules against Kiln's
/// embedded stores.
#[test]
fn python_spin_sdk_uses_key_value_variables_and_sqlite() {
    let Some(wasm) = optional_guest_or_ci("py_http.wasm") else { return };
    let manifest = Manifest::new("py-state")
        .raw(r#"[variables]
colour = { default = "green" }"#)
        .http("/...", "py")
        .component(
            "py",
            &wasm,
            r#"key_value_stores = ["default"]
sqlite_databases = ["default"]
[component.py.variables]
colour = "{{ colour }}""#,
        )
        .toml();
    let kiln = serve(app_dir(&manifest, &[]));
    rt().block_on(async {
        let c = client();
        let resp = c.put(kiln.url("/kv/default/snake")).body("python").send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "stored");
        let resp = c.get(kiln.url("/kv/default/snake")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "python");
        let resp = c.get(kiln.url("/kv/default")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "snake");
        let resp = c.delete(kiln.url("/kv/default/snake")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "deleted");
        let resp = c.get(kiln.url("/kv/default/snake")).send().await.unwrap();
        assert_eq!(resp.status(), 404);
        let resp = c.get(kiln.url("/kv/elsewhere/snake")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "error: Error_AccessDenied");

        let resp = c.get(kiln.url("/var/colour")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "green");
        let resp = c.get(kiln.url("/var/shape")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.text().await.unwrap(), "error: Error_Undefined(shape)");

        let resp = c.get(kiln.url("/sqlite")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.text().await.unwrap(),
            "i,r,t,b,n\nValue_Integer:-42\nValue_Real:1.5\nValue_Text:snake\nValue_Blob:00ff\nValue_Null:None"
        );
    });
}

#[test]
fn javascript_componentize_js_app_answers() {
    let Some(wasm) = optional_guest_or_ci("js_http.wasm") else { return };
    let kiln = Kiln::up(&wasm, &[]);
    rt().block_on(async {
        let resp = client().get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "Hello from JS!");
    });
}

/// Optional guests skip with a message locally when their toolchain could
/// not be installed; `KILN_GUESTS_REQUIRE_ALL=1` makes them required.
fn optional_guest_or_ci(name: &str) -> Option<std::path::PathBuf> {
    let found = optional_guest(name);
    if found.is_none() {
        assert!(
            std::env::var("KILN_GUESTS_REQUIRE_ALL").as_deref() != Ok("1"),
            "{name} is required (KILN_GUESTS_REQUIRE_ALL=1) but was not built"
        );
        eprintln!("SKIP: {name} was not built (its toolchain did not install; see build-guests.sh output)");
    }
    found
}

#[test]
fn spin1_inbound_http_component_answers() {
    let wasm = guest("spin_inbound_http.wasm");
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"spin1\"\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"legacy\"\n\
         [component.legacy]\nsource = \"{}\"\n\
         key_value_stores = [\"default\"]\nsqlite_databases = [\"default\"]\n\
         [component.legacy.variables]\nmotto = \"spin one\"\n",
        wasm.display()
    );
    let kiln = serve(app_dir(&manifest, &[]));
    rt().block_on(async {
        let client = client();
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/plain");
        assert_eq!(resp.text().await.unwrap(), "Hello from inbound-http!");

        let resp = client.post(kiln.url("/echo")).header("content-type", "text/x-echo").body("round trip").send().await.unwrap();
        assert_eq!(resp.headers()["content-type"], "text/x-echo");
        assert_eq!(resp.text().await.unwrap(), "round trip");

        let body = client.put(kiln.url("/headers?x=1")).send().await.unwrap().text().await.unwrap();
        assert!(body.lines().any(|l| l == "method: Method::Put"), "{body}");
        assert!(body.lines().any(|l| l == "uri: /headers?x=1"), "{body}");
        assert!(body.lines().any(|l| l == "spin-matched-route: /..."), "{body}");
        assert!(body.lines().any(|l| l == "spin-path-info: /headers"), "{body}");

        // The Spin 1 ABI has no TRACE: 405, not a trap.
        let resp = client.request(reqwest::Method::TRACE, kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 405);

        let resp = client.get(kiln.url("/panic")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);

        // Spin 1 key-value, SQLite and config: `u32` handles, their own errors.
        let resp = client.put(kiln.url("/kv/default/era")).body("spin 1").send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "stored");
        let resp = client.get(kiln.url("/kv/default/era")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "spin 1");
        let resp = client.get(kiln.url("/kv/default/unset")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "Spin 1 `get` of an unset key is no-such-key");
        let resp = client.get(kiln.url("/kv/private/era")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "error: Error::AccessDenied");
        let resp = client.get(kiln.url("/sqlite")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "[\"n\", \"name\"]|[Value::Integer(7), Value::Text(\"seven\")]");
        let resp = client.get(kiln.url("/config/motto")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "spin one");
        let resp = client.get(kiln.url("/config/nope")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "error: Error::InvalidKey(\"nope\")");
    });
    assert!(kiln.wait_for_output("[legacy] inbound-http handled /hello"));
}

#[test]
fn falls_back_from_pooling_when_address_space_is_scarce() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    // 3 GB of address space: too little for the instance pool (and for the
    // default 4 GiB reservation per memory), plenty for kiln itself.
    let mut wrapper = std::process::Command::new("bash");
    wrapper.args(["-c", "ulimit -v 3000000 && exec \"$0\" \"$@\"", kiln_bin()]);
    let kiln = Kiln::try_up_in(wrapper, &wasm, &["--disable-cache"]).expect("kiln starts");
    rt().block_on(async {
        for _ in 0..3 {
            let resp = client().get(kiln.url("/hello")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");
        }
    });
    assert!(kiln.wait_for_output("pooling instance allocator unavailable"), "the fallback is logged");
}
