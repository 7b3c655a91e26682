//! WAGI modules, and what `kiln up` does with bad input: broken manifests,
//! missing or malformed Wasm, guests that trap.

mod common;

use common::*;

fn wagi_manifest(wasm: &std::path::Path, route: &str, extra: &str) -> String {
    Manifest::new("wagi-app")
        .raw(&format!(
            "[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"cgi\"\nexecutor = {{ type = \"wagi\"{extra} }}"
        ))
        .raw("[[trigger.http]]\nroute = \"/hello\"\nstatic_response = { body = \"hi\" }")
        .component("cgi", wasm, r#"environment = { FROM_MANIFEST = "yes" }"#)
        .toml()
}

#[test]
fn wagi_module_gets_cgi_environment_args_and_stdin() {
    let wasm = guest("wagi_rust.wasm");
    let kiln = serve(app_dir(&wagi_manifest(&wasm, "/cgi/...", ""), &[]));
    let rt = rt();
    let body = rt.block_on(async {
        let resp = client()
            .post(kiln.url("/cgi/sub/path?a+b"))
            .header("x-custom-header", "custom value")
            .header("content-type", "text/x-test")
            .body("the request body")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/plain");
        resp.text().await.unwrap()
    });
    let has = |line: &str| body.lines().any(|l| l == line);
    assert!(has("REQUEST_METHOD=POST"), "{body}");
    assert!(has("PATH_INFO=/sub/path"), "{body}");
    assert!(has("QUERY_STRING=a+b"), "{body}");
    assert!(has("SCRIPT_NAME=/cgi"), "{body}");
    assert!(has("CONTENT_TYPE=text/x-test"), "{body}");
    assert!(has("CONTENT_LENGTH=16"), "{body}");
    assert!(has("GATEWAY_INTERFACE=CGI/1.1"), "{body}");
    assert!(has("HTTP_X_CUSTOM_HEADER=custom value"), "{body}");
    assert!(has("X_MATCHED_ROUTE=/cgi/..."), "{body}");
    assert!(has("FROM_MANIFEST=yes"), "{body}");
    assert!(has(&format!("X_FULL_URL=http://{}/cgi/sub/path?a+b", kiln.addr)), "{body}");
    assert!(has(&format!("SERVER_PORT={}", kiln.addr.port())), "{body}");
    assert!(body.lines().any(|l| l.starts_with("REMOTE_ADDR=127.0.0.1")), "{body}");
    assert!(has("ARGS=/cgi|a|b"), "argv from the default template: {body}");
    assert!(has("STDIN=the request body"), "{body}");
}

#[test]
fn wagi_status_location_and_malformed_output() {
    let wasm = guest("wagi_rust.wasm");
    let kiln = serve(app_dir(&wagi_manifest(&wasm, "/...", ""), &[]));
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    rt().block_on(async {
        let resp = client.get(kiln.url("/x?mode=redirect")).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        assert_eq!(resp.headers()["location"], "/hello");
        let resp = client.get(kiln.url("/x?mode=status")).send().await.unwrap();
        assert_eq!(resp.status(), 418);
        assert_eq!(resp.text().await.unwrap(), "teapot");
        let resp = client.get(kiln.url("/x?mode=bad")).send().await.unwrap();
        assert_eq!(resp.status(), 502);
        // The server keeps serving.
        let resp = client.get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "hi");
    });
    assert!(kiln.wait_for_output("malformed CGI output"), "502 is logged");
}

#[test]
fn trapping_wagi_module_answers_500_and_server_keeps_serving() {
    let trap = wat::parse_file(repo_root().join("guests/fixtures/trap.wat")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trap.wasm"), trap).unwrap();
    let manifest = wagi_manifest(&dir.path().join("trap.wasm"), "/trap", "");
    std::fs::write(dir.path().join("spin.toml"), manifest).unwrap();
    let kiln = Kiln::up(dir.path(), &[]);
    rt().block_on(async {
        for _ in 0..3 {
            let resp = client().get(kiln.url("/trap")).send().await.unwrap();
            assert_eq!(resp.status(), 500);
        }
        let resp = client().get(kiln.url("/hello")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let resp = client().get(kiln.url("/nowhere")).send().await.unwrap();
        assert_eq!(resp.status(), 404);
    });
    // Log lines reach the test through a reader thread: wait for the cause.
    assert!(kiln.wait_for_output("unreachable"), "trap cause logged");
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(
        stderr.lines().any(|l| l.contains("unreachable") && l.contains("cgi")),
        "trap logged with the component id: {stderr}"
    );
}

#[test]
fn broken_manifest_names_file_line_and_field() {
    let manifest = "spin_manifest_version = 2\n\n[application]\nname = \"x\"\n\n[component.a]\nsorce = \"a.wasm\"\n";
    // `:7:` is the line.
    assert_contains_all(&startup_error(manifest, &[]), &["spin.toml", ":7:", "sorce"]);
}

#[test]
fn missing_wasm_names_the_path() {
    let manifest = Manifest::new("x").http("/", "a").component("a", "nope/missing.wasm", "").toml();
    assert_contains_all(&startup_error(&manifest, &[]), &["nope/missing.wasm", "`a`"]);
}

fn manifest_for(source: &str) -> String {
    one_route_app("x", "bad", source, "")
}

#[test]
fn non_wasm_and_truncated_files_are_refused_naming_the_component() {
    let good = std::fs::read(guest("spin_rust_http_wasip2.wasm")).unwrap();
    let dir = app_dir(
        &manifest_for("text.wasm"),
        &[("text.wasm", b"this is not webassembly"), ("cut.wasm", &good[..good.len() / 2])],
    );
    let stderr = up_fails(dir.path());
    assert!(stderr.contains("component `bad`"), "{stderr}");
    assert!(stderr.contains("not a WebAssembly file"), "{stderr}");

    std::fs::write(dir.path().join("spin.toml"), manifest_for("cut.wasm")).unwrap();
    let stderr = up_fails(dir.path());
    assert!(stderr.contains("component `bad`"), "{stderr}");
}

#[test]
fn component_without_http_export_is_refused_with_its_exports() {
    let component = wat::parse_str(
        r#"(component (core module $m (func (export "f"))) (core instance $i (instantiate $m))
            (func $f (canon lift (core func $i "f"))) (export "other-thing" (func $f)))"#,
    )
    .unwrap();
    let stderr = startup_error(&manifest_for("c.wasm"), &[("c.wasm", &component)]);
    let expected = ["component `bad`", "wasi:http/incoming-handler@0.2.x", "fermyon:spin/inbound-http", "it exports: other-thing"];
    assert_contains_all(&stderr, &expected);
}

#[test]
fn sigterm_drains_and_exits_zero() {
    let dir = app_dir(
        "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/...\"\nstatic_response = { body = \"ok\" }\n",
        &[],
    );
    let kiln = Kiln::up(dir.path(), &[]);
    rt().block_on(async {
        assert_eq!(client().get(kiln.url("/any")).send().await.unwrap().text().await.unwrap(), "ok");
    });
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn version_1_manifest_is_served_with_its_base_path() {
    let mut manifest = String::from(
        "spin_manifest_version = \"1\"\nname = \"v1app\"\nversion = \"1.0.0\"\n\
         trigger = { type = \"http\", base = \"/base\" }\n",
    );
    let components = [
        ("hello", "spin_rust_http_wasip2.wasm", "route = \"/hello/...\""),
        ("cgi", "wagi_rust.wasm", "route = \"/cgi\"\nexecutor = { type = \"wagi\" }"),
    ];
    for (id, wasm, trigger) in components {
        let source = guest(wasm);
        let source = source.display();
        manifest.push_str(&format!("\n[[component]]\nid = \"{id}\"\nsource = \"{source}\"\n[component.trigger]\n{trigger}\n"));
    }
    let kiln = serve(app_dir(&manifest, &[]));
    rt().block_on(async {
        let body = client().get(kiln.url("/base/cgi")).send().await.unwrap().text().await.unwrap();
        assert!(body.lines().any(|l| l == "SCRIPT_NAME=/base/cgi"), "{body}");
        // The component's own 404 (not the router's) proves the route matched.
        let resp = client().get(kiln.url("/base/hello/x")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "not found: /base/hello/x");
        let resp = client().get(kiln.url("/hello/x")).send().await.unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.text().await.unwrap(), "Not Found\n");
    });
}
