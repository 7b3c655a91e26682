//! Capability escapes a guest must not manage: reading or writing files
//! outside its `files` mounts, mounting files that lead out of the app
//! folder, and reaching a private component from the network.
//!
//! The guest (`guests/spin-rust-http`) has `/read?path=` and `/write?path=`
//! routes that try any path it is given.

mod common;

use common::*;

fn manifest(wasm: &std::path::Path, files: &str) -> String {
    front_and_private_app("escapes", "web", "hidden", wasm, &format!("files = {files}"))
}

#[test]
fn guest_reads_only_its_mounts_and_writes_nothing() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    let dir = app_dir(
        &manifest(&wasm, r#"[{ source = "assets", destination = "/data" }]"#),
        &[("assets/greeting.txt", b"mounted"), ("outside.txt", b"app folder, not mounted")],
    );
    let kiln = Kiln::up(dir.path(), &["--quiet"]);
    let rt = rt();
    let client = client();
    rt.block_on(async {
        let read = |path: &str| {
            let url = kiln.url(&format!("/read?path={}", percent_encode(path)));
            let client = client.clone();
            async move {
                let resp = client.get(url).send().await.unwrap();
                (resp.status().as_u16(), resp.text().await.unwrap())
            }
        };
        assert_eq!(read("/data/greeting.txt").await, (200, "mounted".to_string()));
        // The mount is the guest's whole filesystem: none of these lead anywhere.
        let host_file = dir.path().join("outside.txt").display().to_string();
        for path in [
            "/data/../../../../etc/passwd",
            "../../../../etc/passwd",
            "/etc/passwd",
            "/proc/self/environ",
            "/outside.txt",
            "/data/../outside.txt",
            "/data/../spin.toml",
            host_file.as_str(),
        ] {
            let (status, body) = read(path).await;
            assert_eq!(status, 403, "{path} was readable: {body}");
            assert!(!body.contains("root:") && !body.contains("not mounted"), "{path}: {body}");
        }
        // Mounts are read-only, and nothing new appears anywhere.
        for path in ["/data/greeting.txt", "/data/new.txt", "/new.txt", "/tmp/x"] {
            let url = kiln.url(&format!("/write?path={}", percent_encode(path)));
            let resp = client.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 403, "{path}: {}", resp.text().await.unwrap());
        }
        assert_eq!(read("/data/greeting.txt").await, (200, "mounted".to_string()));
    });
    assert_eq!(std::fs::read(dir.path().join("assets/greeting.txt")).unwrap(), b"mounted");
    assert!(!dir.path().join("assets/new.txt").exists());
}

#[test]
fn a_component_without_files_sees_no_filesystem() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    let dir = app_dir(&manifest(&wasm, "[]"), &[]);
    let kiln = Kiln::up(dir.path(), &["--quiet"]);
    let rt = rt();
    rt.block_on(async {
        for path in ["/", "/etc/passwd", ".", "spin.toml"] {
            let url = kiln.url(&format!("/read?path={}", percent_encode(path)));
            let resp = client().get(url).send().await.unwrap();
            assert_eq!(resp.status(), 403, "{path}");
        }
    });
}

#[cfg(unix)]
#[test]
fn a_mount_that_links_out_of_the_app_folder_stops_startup() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("secret.txt"), "top secret").unwrap();
    let app = parent.path().join("app");
    std::fs::create_dir_all(app.join("static")).unwrap();
    std::fs::write(app.join("spin.toml"), manifest(&wasm, r#"["static/**/*"]"#)).unwrap();
    std::fs::write(app.join("static/index.html"), "hi").unwrap();
    std::os::unix::fs::symlink(parent.path().join("secret.txt"), app.join("static/leak.txt")).unwrap();
    let stderr = up_fails(&app);
    assert!(stderr.contains("leak.txt") && stderr.contains("outside the app folder"), "{stderr}");
}

#[test]
fn private_components_are_not_reachable_from_the_network() {
    let wasm = guest("spin_rust_http_wasip2.wasm");
    let dir = tempfile::tempdir().unwrap();
    // Only the private component: every path is unrouted.
    let only_private = Manifest::new("p").private("hidden").component("hidden", &wasm, "").toml();
    std::fs::write(dir.path().join("spin.toml"), only_private).unwrap();
    let kiln = Kiln::up(dir.path(), &["--quiet"]);
    let rt = rt();
    rt.block_on(async {
        for path in ["/", "/hello", "/hidden", "/hidden/hello", "/...", "/.well-known/spin/hidden"] {
            let resp = client().get(kiln.url(path)).send().await.unwrap();
            assert_eq!(resp.status(), 404, "{path}");
        }
        // Nor through a Host header naming its internal address.
        let resp = client().get(kiln.url("/hello")).header("host", "hidden.spin.internal").send().await.unwrap();
        assert_eq!(resp.status(), 404);
    });
}
