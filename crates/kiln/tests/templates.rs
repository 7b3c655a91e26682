//! `kiln new`, `kiln add` and `kiln templates` end to end: every built-in
//! template is created with `--accept-defaults`, built with `kiln build`,
//! served with `kiln up` and asked for its answer.
//!
//! Rust builds reuse one cargo target folder per template under
//! `~/.cache/kiln/template-builds/<template>` (the app's `target` is a
//! symlink to it, so the manifest's `source` path still resolves); the
//! Python template reuses a virtual environment there, the JavaScript one a
//! `node_modules`. The generated apps themselves build with no such help.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Runs `kiln ARGS` in `cwd` with its own templates folder under `data`.
fn kiln_in(cwd: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(kiln_bin())
        .args(args)
        .current_dir(cwd)
        .env("KILN_DATA_DIR", data)
        .stdin(Stdio::null())
        .output()
        .expect("run kiln")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `kiln ARGS` that must succeed.
fn kiln_ok(cwd: &Path, data: &Path, args: &[&str]) -> String {
    let out = kiln_in(cwd, data, args);
    assert!(
        out.status.success(),
        "kiln {args:?} failed: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `kiln ARGS` that must fail; returns stderr.
fn kiln_err(cwd: &Path, data: &Path, args: &[&str]) -> String {
    let out = kiln_in(cwd, data, args);
    assert!(
        !out.status.success(),
        "kiln {args:?} unexpectedly succeeded: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

/// A temp folder holding the app `name` made by `kiln new -t template`.
struct NewApp {
    root: tempfile::TempDir,
    dir: PathBuf,
}

impl NewApp {
    fn create(template: &str, name: &str, extra: &[&str]) -> NewApp {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let mut args = vec!["new", "-t", template, name, "--accept-defaults", "--no-vcs"];
        args.extend_from_slice(extra);
        kiln_ok(root.path(), &data, &args);
        let dir = root.path().join(name);
        assert!(
            dir.join("spin.toml").is_file(),
            "no spin.toml in {}",
            dir.display()
        );
        NewApp { root, dir }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// Builds the app and starts `kiln up` on it.
    fn serve(&self) -> Kiln {
        self.build();
        Kiln::up(&self.dir, &[])
    }

    /// `kiln build -f <app>`, which must succeed.
    fn build(&self) {
        let out = self.try_build();
        assert!(
            out.status.success(),
            "kiln build failed:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    /// `kiln build -f <app>`.
    fn try_build(&self) -> Output {
        Command::new(kiln_bin())
            .args(["build", "-f"])
            .arg(&self.dir)
            // The test runner's target folder must not leak into the app's
            // builds: the manifest expects `target/` inside the app.
            .env_remove("CARGO_TARGET_DIR")
            .stdin(Stdio::null())
            .output()
            .expect("run kiln build")
    }
}

/// `~/.cache/kiln/template-builds/<name>`.
fn build_cache(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = home.join(".cache/kiln/template-builds").join(name);
    std::fs::create_dir_all(&dir).expect("create build cache");
    dir
}

/// Points the cargo `target` folder in `crate_dir` at the template's cache.
fn cache_cargo_target(crate_dir: &Path, template: &str) {
    std::os::unix::fs::symlink(build_cache(template), crate_dir.join("target"))
        .expect("symlink target");
}

fn get(kiln: &Kiln, path: &str) -> (u16, String, String) {
    let url = kiln.url(path);
    rt().block_on(async {
        let resp = client().get(&url).send().await.expect("request");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, resp.text().await.expect("body"))
    })
}

/// Asserts that `path` answers 200 with `text/plain` and `body`.
#[track_caller]
fn expect_text(kiln: &Kiln, path: &str, body: &str) {
    let (status, ct, text) = get(kiln, path);
    assert_eq!((status, ct.as_str(), text.as_str()), (200, "text/plain", body), "{path}");
}

/// Whether an optional toolchain is here; without it the test skips, except
/// in CI where it must be.
fn tool_available(name: &str, probe: &[&str]) -> bool {
    let ok = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{name} is not available, and CI requires it");
    }
    eprintln!("SKIPPED: {name} is not available");
    false
}

#[test]
fn http_rust_new_build_up() {
    let app = NewApp::create("http-rust", "hello", &[]);
    let manifest = std::fs::read_to_string(app.dir.join("spin.toml")).unwrap();
    assert!(manifest.contains("route = \"/...\""), "{manifest}");
    cache_cargo_target(&app.dir, "http-rust");
    let kiln = app.serve();
    expect_text(&kiln, "/anything", "Hello from Kiln!\n");
}

#[test]
fn wagi_rust_new_build_up() {
    let app = NewApp::create("wagi-rust", "cgi-app", &["-v", "http-path=/cgi/..."]);
    cache_cargo_target(&app.dir, "wagi-rust");
    let kiln = app.serve();
    let (status, _, body) = get(&kiln, "/cgi/x");
    assert_eq!((status, body.as_str()), (200, "Hello from WAGI!\n"));
    assert_eq!(get(&kiln, "/elsewhere").0, 404);
}

#[test]
fn static_fileserver_new_build_up() {
    let app = NewApp::create("static-fileserver", "site", &[]);
    let assets = app.dir.join("assets");
    assert!(
        assets.join("index.html").is_file(),
        "the template's index.html"
    );
    std::fs::create_dir_all(assets.join("css/sub")).unwrap();
    std::fs::write(assets.join("css/site.css"), "body { color: red }").unwrap();
    std::fs::write(assets.join("css/sub/index.html"), "<p>sub</p>").unwrap();
    std::fs::write(assets.join("data.bin"), [0u8, 1, 2]).unwrap();
    cache_cargo_target(&app.dir.join("fileserver"), "static-fileserver");
    let kiln = app.serve();

    let (status, ct, body) = get(&kiln, "/");
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(body.contains("<h1>site</h1>"), "{body}");
    let (status, ct, body) = get(&kiln, "/css/site.css");
    assert_eq!((status, body.as_str()), (200, "body { color: red }"));
    assert!(ct.starts_with("text/css"), "{ct}");
    assert_eq!(get(&kiln, "/css/sub/").2, "<p>sub</p>");
    assert_eq!(get(&kiln, "/css/sub").2, "<p>sub</p>");
    assert_eq!(get(&kiln, "/data.bin").1, "application/octet-stream");
    assert_eq!(get(&kiln, "/missing.txt").0, 404);
    // Escapes: nothing outside the mounted folder is ever served (the host
    // may normalise the path first, answering 404, or pass the encoded
    // `..` on, which the server refuses with 400).
    for path in [
        "/%2e%2e/spin.toml",
        "/css/%2E%2E%2F%2E%2E%2Fspin.toml",
        "/css/..%2f..%2fspin.toml",
    ] {
        let (status, _, body) = get(&kiln, path);
        assert!(status == 400 || status == 404, "{path}: {status} {body}");
        assert!(
            !body.contains("spin_manifest_version"),
            "{path} escaped: {body}"
        );
    }
}

#[test]
fn http_empty_then_add_components() {
    let app = NewApp::create("http-empty", "shop", &["-v", "project-description=A shop"]);
    let before = std::fs::read_to_string(app.dir.join("spin.toml")).unwrap();
    assert!(before.contains("description = \"A shop\""), "{before}");
    assert!(!before.contains("[component"), "{before}");

    let out = kiln_ok(&app.dir, &app.data(), &["add", "-t", "http-rust", "api", "--accept-defaults", "-v", "http-path=/api/..."]);
    assert!(out.contains("Added api"), "{out}");
    kiln_ok(&app.dir, &app.data(), &["add", "-t", "wagi-rust", "legacy", "--accept-defaults", "-v", "http-path=/cgi/..."]);
    let after = std::fs::read_to_string(app.dir.join("spin.toml")).unwrap();
    assert!(
        after.starts_with(&before),
        "the existing text (and its comment) must stay as it was:\n{after}"
    );
    assert!(after.contains("workdir = \"api\""), "{after}");
    assert!(
        after.contains("source = \"api/target/wasm32-wasip2/release/api.wasm\""),
        "{after}"
    );
    assert!(app.dir.join("api/src/lib.rs").is_file());
    assert!(
        !app.dir.join("api/spin.toml").exists(),
        "skip_files leaves the template's manifest out"
    );

    // The same id again is refused, and the manifest is left alone.
    let err = kiln_err(&app.dir, &app.data(), &["add", "-t", "http-rust", "api", "--accept-defaults", "-o", "api2"]);
    assert!(err.contains("a component `api` already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(app.dir.join("spin.toml")).unwrap(),
        after
    );
    // The empty template has no component to add.
    let err = kiln_err(&app.dir, &app.data(), &["add", "-t", "http-empty", "nothing", "--accept-defaults"]);
    assert!(err.contains("no component to add"), "{err}");

    cache_cargo_target(&app.dir.join("api"), "http-rust");
    cache_cargo_target(&app.dir.join("legacy"), "wagi-rust");
    let kiln = app.serve();
    assert_eq!(get(&kiln, "/api/orders").2, "Hello from Kiln!\n");
    assert_eq!(get(&kiln, "/cgi/run").2, "Hello from WAGI!\n");
}

/// A raw RESP `PUBLISH` (no Redis client crate needed).
fn publish(addr: &str, channel: &str, message: &str) {
    let line = Resp::connect(addr).command(&["PUBLISH", channel, message]);
    assert!(line.starts_with(':'), "PUBLISH answered {line:?}");
}

#[test]
fn redis_rust_new_build_up() {
    require!(kiln_test_support::REDIS);
    let channel = format!("kiln-template-{}-{}", std::process::id(), rand_suffix());
    let chan = format!("redis-channel={channel}");
    let app = NewApp::create(
        "redis-rust",
        "listener",
        &["-v", "redis-address=redis://127.0.0.1:6379", "-v", &chan],
    );
    cache_cargo_target(&app.dir, "redis-rust");
    app.build();

    let mut child = kiln_command(&["up", "-f"])
        .arg(&app.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiln up");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("subscribed to Redis") {
                let _ = tx.send(());
            }
        }
    });
    let subscribed = rx.recv_timeout(Duration::from_secs(120)).is_ok();
    let log = app.dir.join(".spin/logs/listener_stdout.txt");
    let mut seen = String::new();
    if subscribed {
        publish("127.0.0.1:6379", &channel, "hello-kiln");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && !seen.contains("received: hello-kiln") {
            std::thread::sleep(Duration::from_millis(50));
            seen = std::fs::read_to_string(&log).unwrap_or_default();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(subscribed, "kiln up did not subscribe to Redis");
    assert!(
        seen.contains("received: hello-kiln"),
        "{}: {seen:?}",
        log.display()
    );
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[test]
fn http_py_new_build_up() {
    if !tool_available("python3 with venv", &["python3", "-m", "venv", "--help"]) {
        return;
    }
    let app = NewApp::create("http-py", "pyapp", &[]);
    // The build command makes .venv itself (pip's own cache keeps reruns
    // short). A symlinked shared venv does not work: componentize-py then
    // cannot map the spin-sdk files to module names.
    let out = app.try_build();
    if !out.status.success() && !app.dir.join(".venv/bin/componentize-py").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "could not install componentize-py/spin-sdk, and CI requires them:\n{}",
            text(&out.stderr)
        );
        eprintln!(
            "SKIPPED: could not install componentize-py and spin-sdk with pip:\n{}",
            text(&out.stderr)
        );
        return;
    }
    assert!(
        out.status.success(),
        "kiln build failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let kiln = Kiln::up(&app.dir, &[]);
    let (status, ct, body) = get(&kiln, "/py");
    assert_eq!(
        (status, ct.as_str(), body.as_str()),
        (200, "text/plain", "Hello from Python!\n")
    );
}

#[test]
fn http_js_new_build_up() {
    if !tool_available("node", &["node", "--version"])
        || !tool_available("npm", &["npm", "--version"])
    {
        return;
    }
    let app = NewApp::create("http-js", "jsapp", &[]);
    // One node_modules for every run: installed by the build's `npm install`
    // the first time, found complete (so left alone) afterwards.
    let modules = build_cache("http-js").join("node_modules");
    std::fs::create_dir_all(&modules).unwrap();
    std::os::unix::fs::symlink(&modules, app.dir.join("node_modules"))
        .expect("symlink node_modules");
    let kiln = app.serve();
    expect_text(&kiln, "/js", "Hello from JavaScript!\n");
}

#[test]
fn templates_list_install_and_use() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let list = kiln_ok(root.path(), &data, &["templates", "list"]);
    for id in [
        "http-rust",
        "http-py",
        "http-js",
        "http-empty",
        "redis-rust",
        "wagi-rust",
        "static-fileserver",
    ] {
        assert!(
            list.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{list}"
        );
    }

    let src = root.path().join("mine");
    std::fs::create_dir_all(src.join("metadata")).unwrap();
    std::fs::create_dir_all(src.join("content")).unwrap();
    std::fs::write(
        src.join("metadata/spin-template.toml"),
        "manifest_version = \"1\"\nid = \"mine\"\ndescription = \"My own\"\n[parameters]\ngreeting = { type = \"string\", prompt = \"Greeting\", default = \"hi\" }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("content/spin.toml"),
        "# {{greeting}} from {{project-name | pascal_case}}\n",
    )
    .unwrap();
    let out = kiln_ok(root.path(), &data, &["templates", "install", "--dir", "mine"]);
    assert!(out.contains("Installed mine"), "{out}");
    assert!(data
        .join("templates/mine/metadata/spin-template.toml")
        .is_file());
    let list = kiln_ok(root.path(), &data, &["templates", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("mine") && l.contains("My own") && l.contains("[installed]")),
        "{list}"
    );

    kiln_ok(root.path(), &data, &["new", "-t", "mine", "my-app", "--accept-defaults", "--no-vcs", "-v", "greeting=hello"]);
    assert_eq!(
        std::fs::read_to_string(root.path().join("my-app/spin.toml")).unwrap(),
        "# hello from MyApp\n"
    );

    let err = kiln_err(root.path(), &data, &["templates", "install", "--dir", "mine"]);
    assert!(
        err.contains("already installed") && err.contains("--upgrade"),
        "{err}"
    );
    std::fs::write(src.join("content/spin.toml"), "# v2\n").unwrap();
    kiln_ok(root.path(), &data, &["templates", "install", "--dir", "mine", "--upgrade"]);
    kiln_ok(root.path(), &data, &["new", "-t", "mine", "second", "--accept-defaults", "--no-vcs"]);
    assert_eq!(
        std::fs::read_to_string(root.path().join("second/spin.toml")).unwrap(),
        "# v2\n"
    );

    // A broken template is refused with the file named, and not installed.
    std::fs::write(src.join("content/broken.txt"), "{% if %}").unwrap();
    let err = kiln_err(root.path(), &data, &["templates", "install", "--dir", "mine", "--upgrade"]);
    assert!(err.contains("broken.txt"), "{err}");
}

#[test]
fn new_reports_bad_input_clearly() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "unknown template",
            &["new", "-t", "http-cobol", "x", "--accept-defaults"],
            &["no template `http-cobol`", "http-rust", "static-fileserver"],
        ),
        ("no name", &["new", "-t", "http-rust", "--accept-defaults"], &["NAME"]),
        (
            "bad value",
            &["new", "-t", "http-rust", "x", "--accept-defaults", "-v", "http-path=nope"],
            &["http-path", "does not match"],
        ),
        ("bad name", &["new", "-t", "http-rust", "9lives", "--accept-defaults"], &["must start with a letter"]),
    ];
    for (case, args, expected) in cases {
        let err = kiln_err(root.path(), &data, args);
        assert!(expected.iter().all(|e| err.contains(e)), "{case}: {err}");
        assert!(!root.path().join("x").exists(), "{case}: nothing is written on bad input");
    }

    std::fs::create_dir_all(root.path().join("taken")).unwrap();
    std::fs::write(root.path().join("taken/keep.txt"), "mine").unwrap();
    let err = kiln_err(root.path(), &data, &["new", "-t", "http-rust", "taken", "--accept-defaults", "--no-vcs"]);
    assert!(
        err.contains("not empty") && err.contains("--allow-overwrite"),
        "{err}"
    );
    kiln_ok(root.path(), &data, &["new", "-t", "http-rust", "taken", "--accept-defaults", "--no-vcs", "--allow-overwrite"]);
    assert_eq!(
        std::fs::read_to_string(root.path().join("taken/keep.txt")).unwrap(),
        "mine"
    );
    assert!(root.path().join("taken/spin.toml").is_file());

    let err = kiln_err(root.path(), &data, &["add", "-t", "http-rust", "api", "--accept-defaults"]);
    assert!(err.contains("no application manifest"), "{err}");
}

#[test]
fn values_file_init_and_git() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::write(
        root.path().join("values.json"),
        r#"{"http-path": "/from-json/...", "project-description": "json"}"#,
    )
    .unwrap();
    std::fs::write(
        root.path().join("values.toml"),
        "http-path = \"/from-toml/...\"\n",
    )
    .unwrap();
    kiln_ok(root.path(), &data, &["new", "-t", "http-rust", "a", "--no-vcs", "--values-file", "values.json"]);
    let manifest = std::fs::read_to_string(root.path().join("a/spin.toml")).unwrap();
    assert!(
        manifest.contains("route = \"/from-json/...\"")
            && manifest.contains("description = \"json\""),
        "{manifest}"
    );
    // -v wins over the file.
    kiln_ok(root.path(), &data, &["new", "-t", "http-rust", "b", "--no-vcs", "--values-file", "values.toml", "-v", "http-path=/cli/..."]);
    assert!(std::fs::read_to_string(root.path().join("b/spin.toml"))
        .unwrap()
        .contains("route = \"/cli/...\""));

    // --init: into the current folder, named after it; an existing file the
    // template would write is not replaced.
    let here = root.path().join("my-project");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::write(here.join("notes.txt"), "keep").unwrap();
    kiln_ok(&here, &data, &["new", "-t", "http-empty", "--init", "--accept-defaults", "--no-vcs"]);
    assert!(std::fs::read_to_string(here.join("spin.toml"))
        .unwrap()
        .contains("name = \"my-project\""));
    let err = kiln_err(&here, &data, &["new", "-t", "http-empty", "--init", "--accept-defaults", "--no-vcs"]);
    assert!(
        err.contains("spin.toml") && err.contains("already exists"),
        "{err}"
    );

    if Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        kiln_ok(root.path(), &data, &["new", "-t", "http-rust", "with-git", "--accept-defaults"]);
        assert!(root.path().join("with-git/.git").is_dir(), "git init");
        let ignore = std::fs::read_to_string(root.path().join("with-git/.gitignore")).unwrap();
        assert!(ignore.contains("target/"), "{ignore}");
        assert!(!root.path().join("a/.git").exists(), "--no-vcs");
    } else {
        eprintln!("SKIPPED (git part): git is not installed");
    }
}

/// With a terminal attached and nothing on the command line, `kiln new`
/// asks: the template (a list), the name, then each parameter, asking again
/// after an answer the template's pattern refuses.
#[test]
fn new_asks_on_a_terminal() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // The list shows the templates in `kiln templates list` order.
    let list = kiln_ok(root.path(), &data, &["templates", "list"]);
    let ids: Vec<&str> = list.lines().filter_map(|l| l.split_whitespace().next()).collect();
    let down = ids.iter().position(|id| *id == "http-rust").expect("http-rust is listed");

    let mut command = Command::new(kiln_bin());
    command.args(["new", "--no-vcs"]).current_dir(root.path()).env("KILN_DATA_DIR", &data).env("TERM", "xterm");
    let mut term = rexpect::session::spawn_command(command, Some(30_000)).expect("spawn kiln new on a pty");
    term.exp_string("Pick a template").expect("the template question");
    for _ in 0..down {
        term.send("\x1b[B").unwrap(); // arrow down
    }
    term.send("\r").unwrap();
    term.flush().unwrap();
    term.exp_string("Enter a name").expect("the name question");
    term.send("pty-app\r").unwrap();
    term.flush().unwrap();
    // The parameters, in the template's order: whichever comes first, the
    // other follows (a re-drawn answer line repeats its own prompt, so the
    // second is looked for by name).
    let (_, first) = term.exp_regex("(Description|HTTP path)").expect("a parameter question");
    let order = if first == "HTTP path" { ["HTTP path", "Description"] } else { ["Description", "HTTP path"] };
    for (i, prompt) in order.into_iter().enumerate() {
        if i > 0 {
            term.exp_string(prompt).expect("the next parameter question");
        }
        if prompt == "HTTP path" {
            // Refused by `^/\S*$`, then asked again.
            term.send("no-slash\r").unwrap();
            term.flush().unwrap();
            term.exp_string("does not match the pattern").expect("the refusal");
            term.exp_string("HTTP path").expect("the path asked again");
            term.send("/pty/...\r").unwrap();
        } else {
            term.send("Made on a terminal\r").unwrap();
        }
        term.flush().unwrap();
    }
    term.exp_eof().expect("kiln new finishes");
    let manifest = std::fs::read_to_string(root.path().join("pty-app/spin.toml")).expect("spin.toml written");
    assert!(manifest.contains(r#"route = "/pty/...""#), "{manifest}");
    assert!(manifest.contains("Made on a terminal"), "{manifest}");
    assert!(manifest.contains(r#"name = "pty-app""#), "{manifest}");
    assert!(root.path().join("pty-app/src/lib.rs").is_file());
    assert!(!root.path().join("pty-app/.git").exists(), "--no-vcs");
}
