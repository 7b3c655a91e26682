use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::App;
use crate::tests::write;

const MANIFEST: &str = r#"spin_manifest_version = 2
[application]
name = "shop"
version = "1.2.0"
description = "a shop"
authors = ["Ada"]
[application.trigger.redis]
address = "redis://127.0.0.1:6379"

[variables]
greeting = { default = "hi" }
api_key = { required = true, secret = true }

[[trigger.http]]
route = "/..."
component = "web"
[[trigger.http]]
id = "internal"
route = { private = true }
component = "web"
[[trigger.http]]
route = "/cgi/..."
component = "cgi"
executor = { type = "wagi", argv = "${SCRIPT_NAME} x" }
[[trigger.http]]
route = "/teapot"
static_response = { status_code = 418, headers = { x-tea = "earl grey" }, body = "short and stout" }
[[trigger.redis]]
channel = "orders"
component = "web"

[component.web]
source = "web.wasm"
description = "front"
files = ["static/**/*", { source = "big.bin", destination = "/data/big.bin" }]
environment = { MODE = "prod" }
allowed_outbound_hosts = ["https://api.example.com", "http://cgi.spin.internal"]
key_value_stores = ["default"]
sqlite_databases = ["default", "reports"]
[component.web.variables]
greeting = "{{ greeting }}!"

[component.cgi]
source = "cgi.wasm"
"#;

/// An app folder: two components sharing one Wasm file, a small and a big file.
fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spin.toml", MANIFEST.as_bytes());
    write(dir.path(), "web.wasm", b"\0asm\x01\0\0\0same module");
    write(dir.path(), "cgi.wasm", b"\0asm\x01\0\0\0same module");
    write(dir.path(), "static/index.html", b"<h1>hi</h1>");
    write(dir.path(), "big.bin", &[7u8; 1000]);
    dir
}

/// A blob store from the build's local files, keyed by digest.
fn store(build: &LockedBuild) -> HashMap<String, PathBuf> {
    build.blobs.iter().map(|b| (b.digest.clone(), b.path.clone())).collect()
}

#[test]
fn locks_in_spins_shape() {
    let dir = app_dir();
    let app = App::load(dir.path()).unwrap();
    let build = lock(&app, 128).unwrap();
    let json: Value = serde_json::from_slice(&build.locked.to_json().unwrap()).unwrap();
    // `*.spin.internal` needs service chaining: version 1 with must_understand.
    assert_eq!(json["spin_lock_version"], 1);
    assert_eq!(json["must_understand"], serde_json::json!(["component_host_requirements"]));
    assert_eq!(json["metadata"]["name"], "shop");
    assert_eq!(json["metadata"]["triggers"]["redis"]["address"], "redis://127.0.0.1:6379");
    assert_eq!(json["variables"]["api_key"], serde_json::json!({ "secret": true }));
    assert_eq!(json["variables"]["greeting"]["default"], "hi");
    let web = &json["components"][0];
    assert_eq!(web["id"], "web");
    assert_eq!(web["source"]["content_type"], "application/wasm");
    assert!(web["source"]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(web["metadata"]["databases"], serde_json::json!(["default", "reports"]));
    assert_eq!(web["env"]["MODE"], "prod");
    assert_eq!(web["config"]["greeting"], "{{ greeting }}!");
    let files = web["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data/big.bin", "static/index.html"]);
    // The small file is inlined, the big one is a blob.
    assert!(files[1]["inline"].is_string());
    assert!(files[0]["inline"].is_null() && files[0]["digest"].is_string());
    let triggers = json["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 5);
    assert_eq!(triggers[1]["id"], "internal");
    assert_eq!(triggers[1]["trigger_config"]["route"], serde_json::json!({ "private": true }));
    assert_eq!(triggers[2]["trigger_config"]["executor"]["type"], "wagi");
    assert_eq!(triggers[3]["trigger_config"]["static_response"]["status_code"], 418);
    assert_eq!(triggers[4]["trigger_type"], "redis");
    // Identical Wasm is one blob; the inlined file is none: 2 blobs in all.
    assert_eq!(build.blobs.len(), 2, "{:?}", build.blobs);
    assert_eq!(build.locked.digests().len(), 2);
}

#[test]
fn round_trips_to_an_equivalent_app() {
    let dir = app_dir();
    let app = App::load(dir.path()).unwrap();
    let build = lock(&app, 128).unwrap();
    let json = build.locked.to_json().unwrap();
    let locked = LockedApp::from_json(&json).unwrap();
    let blobs = store(&build);
    let base = tempfile::tempdir().unwrap();
    let loaded = App::from_locked(&locked, &|d| blobs.get(d).cloned(), base.path().to_path_buf()).unwrap();

    assert_eq!(loaded.base_dir, base.path());
    assert_eq!(loaded.state_dir(), base.path().join(".spin"));
    let (m, n) = (&app.manifest, &loaded.manifest);
    assert_eq!(n.application.name, "shop");
    assert_eq!(n.application.version.as_deref(), Some("1.2.0"));
    assert_eq!(n.application.authors, ["Ada"]);
    assert_eq!(n.application.trigger_global.redis_address, m.application.trigger_global.redis_address);
    assert_eq!(n.variables, m.variables);
    assert_eq!(n.redis_triggers.len(), 1);
    assert_eq!(n.redis_triggers[0].channel, "orders");
    for (a, b) in m.http_triggers.iter().zip(&n.http_triggers) {
        assert_eq!((&a.route, &a.component, &a.executor, &a.static_response), (&b.route, &b.component, &b.executor, &b.static_response));
    }
    for id in ["web", "cgi"] {
        let (a, b) = (m.component(id).unwrap(), n.component(id).unwrap());
        assert_eq!(a.allowed_outbound_hosts, b.allowed_outbound_hosts);
        assert_eq!(a.key_value_stores, b.key_value_stores);
        assert_eq!(a.sqlite_databases, b.sqlite_databases);
        assert_eq!(a.variables, b.variables);
        assert_eq!(a.environment, b.environment);
        assert_eq!(a.description, b.description);
    }
    let web = loaded.component("web").unwrap();
    assert_eq!(std::fs::read(&web.source).unwrap(), b"\0asm\x01\0\0\0same module");
    assert_eq!(web.environment, [("MODE".to_string(), "prod".to_string())]);
    let root = web.files_root.as_ref().unwrap();
    assert_eq!(std::fs::read(root.join("static/index.html")).unwrap(), b"<h1>hi</h1>");
    assert_eq!(std::fs::read(root.join("data/big.bin")).unwrap(), vec![7u8; 1000]);
    assert!(loaded.component("cgi").unwrap().files_root.is_none());
    assert!(loaded.is_wagi("cgi"));
}

#[test]
fn missing_blob_names_the_component_field() {
    let dir = app_dir();
    let app = App::load(dir.path()).unwrap();
    let build = lock(&app, 128).unwrap();
    let base = tempfile::tempdir().unwrap();
    let err = App::from_locked(&build.locked, &|_| None, base.path().to_path_buf()).unwrap_err().to_string();
    assert!(err.contains("components[0].source") && err.contains("not in the local cache"), "{err}");
}

fn minimal(extra: Value) -> Vec<u8> {
    let mut app = serde_json::json!({
        "spin_lock_version": 0,
        "triggers": [{ "id": "t", "trigger_type": "http", "trigger_config": { "route": "/...", "component": "c" } }],
        "components": [{ "id": "c", "source": { "content_type": "application/wasm", "inline": "AGFzbQEAAAA=" } }]
    });
    if let (Value::Object(a), Value::Object(e)) = (&mut app, extra) {
        a.extend(e);
    }
    serde_json::to_vec(&app).unwrap()
}

#[test]
fn reads_spin_written_json_with_unknown_fields_and_inline_source() {
    let locked = LockedApp::from_json(&minimal(serde_json::json!({ "future_field": 1 }))).unwrap();
    let base = tempfile::tempdir().unwrap();
    let app = App::from_locked(&locked, &|_| None, base.path().to_path_buf()).unwrap();
    assert_eq!(app.name(), "app");
    assert_eq!(std::fs::read(&app.components[0].source).unwrap(), b"\0asm\x01\0\0\0");
}

#[test]
fn refuses_what_it_cannot_honour() {
    let newer = minimal(serde_json::json!({ "spin_lock_version": 2 }));
    assert!(LockedApp::from_json(&newer).unwrap_err().to_string().contains("spin_lock_version 2"));
    let must = minimal(serde_json::json!({ "must_understand": ["time_travel"] }));
    assert!(LockedApp::from_json(&must).unwrap_err().to_string().contains("`time_travel`"));
    let reqs = minimal(serde_json::json!({ "spin_lock_version": 1, "host_requirements": { "gpu": "required" } }));
    assert!(LockedApp::from_json(&reqs).unwrap_err().to_string().contains("gpu"));
    let optional = minimal(serde_json::json!({ "spin_lock_version": 1, "host_requirements": { "gpu": "optional" } }));
    assert!(LockedApp::from_json(&optional).is_ok());
}

#[test]
fn file_paths_cannot_escape_the_mount() {
    let mut locked = LockedApp::from_json(&minimal(serde_json::json!({}))).unwrap();
    locked.components[0].files.push(LockedFile {
        content: ContentRef { inline: Some("eA==".into()), ..ContentRef::default() },
        path: "../../etc/passwd".into(),
    });
    let base = tempfile::tempdir().unwrap();
    let err = App::from_locked(&locked, &|_| None, base.path().to_path_buf()).unwrap_err().to_string();
    assert!(err.contains("components[0].files[0].path") && err.contains("not a plain relative path"), "{err}");
}

#[test]
fn trigger_for_unknown_component_is_an_error() {
    let mut locked = LockedApp::from_json(&minimal(serde_json::json!({}))).unwrap();
    locked.triggers[0].trigger_config = serde_json::json!({ "route": "/", "component": "nope" });
    let base = tempfile::tempdir().unwrap();
    let err = App::from_locked(&locked, &|_| None, base.path().to_path_buf()).unwrap_err().to_string();
    assert!(err.contains("triggers[0].trigger_config.component") && err.contains("no component `nope`"), "{err}");
}
