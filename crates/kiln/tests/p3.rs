//! `kiln up` serving a Preview 3 component: the Rust `spin-sdk` 7 guest,
//! which exports `wasi:http/handler@0.3.0` (an `async` function).

mod common;

use common::*;

const ONE_MB: usize = 1 << 20;

#[test]
fn spin_rust_sdk_p3_component_answers_like_spin() {
    let wasm = guest("spin_rust_p3.wasm");
    let kiln = Kiln::up(&wasm, &[]);
    let client = client();
    rt().block_on(async {
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut names: Vec<String> = resp.headers().keys().map(|k| k.to_string()).collect();
        names.sort();
        // Only the guest's headers plus framing and date.
        let framing = if names.contains(&"content-length".to_string()) { "content-length" } else { "transfer-encoding" };
        let mut expected = vec![framing, "content-type", "date", "x-kiln-test"];
        expected.sort();
        assert_eq!(names, expected, "{:?}", resp.headers());
        assert_eq!(resp.headers()["content-type"], "text/plain");
        assert_eq!(resp.headers()["x-kiln-test"], "hello");
        assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");

        // 1 MB echoed: the guest streams the request body back as the
        // response body while it is still arriving.
        let body: Vec<u8> = (0..ONE_MB).map(|i| (i % 251) as u8).collect();
        let resp = client
            .post(kiln.url("/body"))
            .header("content-type", "application/x-test")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/x-test");
        let echoed = resp.bytes().await.unwrap();
        assert_eq!(echoed.len(), ONE_MB);
        assert!(echoed[..] == body[..], "echoed body differs");

        // A trap answers 500 for that request only.
        let resp = client.get(kiln.url("/panic")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "Hello, Kiln!");

        // `spin:key-value@3.0.0` declares `async` functions: linked as
        // unavailable, they answer the interface's error value.
        let resp = client.get(kiln.url("/kv")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        assert!(text.starts_with("kv open error: "), "{text}");
        assert!(text.contains("is not available on this Kiln host"), "{text}");
    });
    assert!(kiln.wait_for_output("handled /hello"), "guest stdout echoed");
    assert!(kiln.wait_for_output("guest panic requested"), "trap logged");
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(stderr.contains("request failed"), "trap logged as a failed request: {stderr}");
    assert!(stderr.contains("spin-rust-p3"), "trap log names the component: {stderr}");
}
