use super::*;

/// Writes `contents` to `dir/name`, creating its folders.
pub(crate) fn write(dir: &Path, name: &str, contents: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

const MANIFEST: &str = r#"spin_manifest_version = 2
[application]
name = "files-app"
[[trigger.http]]
route = "/..."
component = "web"
[[trigger.http]]
route = { private = true }
component = "web"
[component.web]
source = "web.wasm"
files = ["static/**/*", { source = "assets", destination = "/data" }, { source = "one.txt", destination = "/etc/one.txt" }]
exclude_files = ["static/secret.txt"]
environment = { A = "1" }
"#;

#[test]
fn loads_folder_resolves_sources_and_stages_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spin.toml", MANIFEST.as_bytes());
    write(dir.path(), "web.wasm", b"\0asm");
    write(dir.path(), "static/index.html", b"<h1>hi</h1>");
    write(dir.path(), "static/css/site.css", b"body{}");
    write(dir.path(), "static/secret.txt", b"nope");
    write(dir.path(), "assets/a.txt", b"a");
    write(dir.path(), "one.txt", b"one");

    let app = App::load(dir.path()).unwrap();
    assert_eq!(app.name(), "files-app");
    assert_eq!(app.manifest_path.as_deref(), Some(dir.path().join("spin.toml").as_path()));
    let web = app.component("web").unwrap();
    assert_eq!(web.source, dir.path().join("web.wasm"));
    assert_eq!(web.environment, vec![("A".to_string(), "1".to_string())]);
    let root = web.files_root.as_ref().unwrap();
    assert_eq!(std::fs::read(root.join("static/index.html")).unwrap(), b"<h1>hi</h1>");
    assert_eq!(std::fs::read(root.join("static/css/site.css")).unwrap(), b"body{}");
    assert!(!root.join("static/secret.txt").exists(), "exclude_files honoured");
    assert_eq!(std::fs::read(root.join("data/a.txt")).unwrap(), b"a");
    assert_eq!(std::fs::read(root.join("etc/one.txt")).unwrap(), b"one");
    // Only the public route is listed.
    assert_eq!(app.route_list(), vec![("/...".to_string(), "web".to_string())]);
    assert!(!app.is_wagi("web"));
}

#[test]
fn missing_source_names_component_and_path() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spin.toml", MANIFEST.as_bytes());
    let err = App::load(&dir.path().join("spin.toml")).unwrap_err().to_string();
    assert!(err.contains("component `web`"), "{err}");
    assert!(err.contains(&dir.path().join("web.wasm").display().to_string()), "{err}");
}

#[test]
fn folder_without_manifest_and_missing_path_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let err = App::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no spin.toml in"), "{err}");
    let err = App::load(&dir.path().join("nope")).unwrap_err().to_string();
    assert!(err.contains("no such file or directory"), "{err}");
}

#[test]
fn bare_wasm_is_served_on_wildcard() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "My_App.2.wasm", b"\0asm");
    let app = App::load(&dir.path().join("My_App.2.wasm")).unwrap();
    assert_eq!(app.components.len(), 1);
    assert_eq!(app.components[0].id, "my-app2");
    assert_eq!(app.route_list(), vec![("/...".to_string(), "my-app2".to_string())]);
    assert!(app.manifest_path.is_none());
}

#[test]
fn component_ids_from_file_names_are_valid() {
    assert_eq!(component_id_from("hello"), "hello");
    assert_eq!(component_id_from("Hello World"), "hello-world");
    assert_eq!(component_id_from("__x__"), "x");
    assert_eq!(component_id_from("1st"), "app1st");
    assert_eq!(component_id_from("..."), "app");
    assert_eq!(component_id_from("v2-api-3x"), "v2-api3x");
}

#[test]
fn files_cannot_escape_the_app_folder() {
    let dir = tempfile::tempdir().unwrap();
    let app_dir = dir.path().join("app");
    write(dir.path(), "outside.txt", b"secret");
    write(&app_dir, "web.wasm", b"\0asm");
    write(
        &app_dir,
        "spin.toml",
        MANIFEST.replace(r#"files = ["static/**/*", { source = "assets", destination = "/data" }, { source = "one.txt", destination = "/etc/one.txt" }]"#,
            r#"files = ["../outside.txt"]"#).as_bytes(),
    );
    let err = App::load(&app_dir).unwrap_err().to_string();
    assert!(err.contains("leaves the app folder") || err.contains("outside the app folder"), "{err}");
}

fn files_manifest(files: &str) -> String {
    format!(
        "spin_manifest_version = 2\n[application]\nname = \"links\"\n[[trigger.http]]\nroute = \"/...\"\n\
         component = \"web\"\n[component.web]\nsource = \"web.wasm\"\nfiles = {files}\n"
    )
}

/// An app folder inside a parent that also holds a secret the app must not mount.
fn app_beside_secret(files: &str) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    write(parent.path(), "secret.txt", b"top secret");
    let app = parent.path().join("app");
    write(&app, "spin.toml", files_manifest(files).as_bytes());
    write(&app, "web.wasm", b"\0asm");
    (parent, app)
}

#[cfg(unix)]
#[test]
fn symlinks_leading_out_of_the_app_folder_are_refused() {
    // A file link matched by a pattern.
    let (parent, app) = app_beside_secret(r#"["static/**/*"]"#);
    write(&app, "static/ok.txt", b"ok");
    std::os::unix::fs::symlink(parent.path().join("secret.txt"), app.join("static/leak.txt")).unwrap();
    let err = App::load(&app).unwrap_err().to_string();
    assert!(err.contains("outside the app folder") && err.contains("leak.txt"), "{err}");

    // A directory link inside a mounted directory.
    let (parent, app) = app_beside_secret(r#"[{ source = "assets", destination = "/" }]"#);
    write(&app, "assets/ok.txt", b"ok");
    std::os::unix::fs::symlink(parent.path(), app.join("assets/up")).unwrap();
    let err = App::load(&app).unwrap_err().to_string();
    assert!(err.contains("outside the app folder"), "{err}");

    // A placement whose source climbs out with `..`.
    let (_parent, app) = app_beside_secret(r#"[{ source = "../secret.txt", destination = "/s.txt" }]"#);
    let err = App::load(&app).unwrap_err().to_string();
    assert!(err.contains("outside the app folder"), "{err}");
}

#[cfg(unix)]
#[test]
fn symlinks_within_the_app_folder_and_cycles_are_fine() {
    let (_parent, app) = app_beside_secret(r#"[{ source = "assets", destination = "/" }]"#);
    write(&app, "assets/real/a.txt", b"a");
    write(&app, "shared.txt", b"shared");
    std::os::unix::fs::symlink(app.join("shared.txt"), app.join("assets/shared.txt")).unwrap();
    // A cycle: assets/real/loop -> assets/real.
    std::os::unix::fs::symlink(app.join("assets/real"), app.join("assets/real/loop")).unwrap();
    let loaded = App::load(&app).unwrap();
    let root = loaded.component("web").unwrap().files_root.clone().unwrap();
    assert_eq!(std::fs::read(root.join("shared.txt")).unwrap(), b"shared");
    assert_eq!(std::fs::read(root.join("real/a.txt")).unwrap(), b"a");
    assert!(!root.join("real/loop/loop").exists(), "the cycle is not followed twice");
}
