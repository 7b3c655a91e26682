//! `kiln registry push/pull` and `kiln up -f REF` against a real registry:
//! Debian's `docker-registry` (the CNCF distribution server), started on a
//! free port by `scripts/registry.sh`. Without it the tests skip with a
//! message, except under `CI=true`, where they fail.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use kiln_test_support::Registry;
use sha2::{Digest, Sha256};

/// More than the 128 bytes Spin inlines: it travels as a data layer.
fn greeting() -> Vec<u8> {
    "Hello from a file that came through the registry!\n".repeat(4).into_bytes()
}

/// Two components: `web` (reads a mounted file and a variable) and `state`
/// (key-value), both from already-built guests.
fn app() -> tempfile::TempDir {
    let web = r#"files = [{ source = "greeting.txt", destination = "/data/greeting.txt" }]
environment = { GREETING = "env from the registry" }
[component.web.variables]
greeting = "{{ greeting }}""#;
    let manifest = Manifest::new("registry-app")
        .raw(r#"version = "1.0.0"
[variables]
greeting = { default = "hello from the registry" }"#)
        .http("/kv/...", "state")
        .http("/...", "web")
        .component("web", guest("spin_rust_http_wasip2.wasm"), web)
        .component("state", guest("spin_rust_state.wasm"), r#"key_value_stores = ["default"]"#)
        .toml();
    app_dir(&manifest, &[("greeting.txt", &greeting())])
}

/// Pushes [`app`] to `repo` (with its tag) on `registry`, with a scratch
/// cache; returns the reference and that cache.
fn push_app(registry: &Registry, repo: &str) -> (String, tempfile::TempDir) {
    let app = app();
    let reference = registry.reference(repo);
    let scratch = tempfile::tempdir().unwrap();
    ok(kiln_registry(scratch.path(), &["push", "-f", app.path().to_str().unwrap(), &reference]));
    (reference, scratch)
}

/// `kiln registry ARGS` with the cache in `cache`.
fn kiln_registry(cache: &Path, args: &[&str]) -> Output {
    Command::new(kiln_bin())
        .arg("registry")
        .args(args)
        .env("KILN_CACHE_DIR", cache)
        .env("XDG_CONFIG_HOME", cache.join("config"))
        .env("DOCKER_CONFIG", cache.join("docker"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kiln registry")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "kiln failed:\n{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

fn fails(out: Output) -> String {
    assert!(!out.status.success(), "kiln unexpectedly succeeded:\n{}", stdout(&out));
    stderr(&out)
}

async fn get(kiln: &Kiln, path: &str) -> (u16, String) {
    let resp = client().get(kiln.url(path)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[test]
fn push_pull_into_an_empty_cache_and_serve() {
    let Some(registry) = Registry::start() else { return };
    let app = app();
    let reference = registry.reference("app:v1");
    let scratch = tempfile::tempdir().unwrap();
    let app_path = app.path().to_str().unwrap();

    // Two Wasm layers, one data layer, the locked app and the image config.
    let first = ok(kiln_registry(scratch.path(), &["push", "-f", app_path, &reference]));
    assert!(first.contains("5 blobs uploaded"), "{first}");
    let stored = registry.blob_count();
    // Pushing again uploads nothing new (the manifest is identical too).
    let second = ok(kiln_registry(scratch.path(), &["push", "-f", app_path, &reference, "--insecure"]));
    assert!(second.contains("0 blobs uploaded") && second.contains("5 already in the registry"), "{second}");
    assert_eq!(registry.blob_count(), stored);
    let digest = |out: &str| out.lines().find_map(|l| l.split_once('@').map(|(_, d)| d.to_string())).unwrap();
    assert_eq!(digest(&first), digest(&second));

    // Serve from the registry with an empty cache.
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new(kiln_bin());
    command.env("KILN_CACHE_DIR", cache.path());
    let kiln = Kiln::try_up_in(command, Path::new(&reference), &["--insecure"])
        .unwrap_or_else(|e| panic!("kiln up -f {reference} failed: {e}"));
    rt().block_on(async {
        assert_eq!(get(&kiln, "/hello").await.0, 200);
        assert_eq!(get(&kiln, "/file").await, (200, String::from_utf8(greeting()).unwrap()));
        assert_eq!(get(&kiln, "/variable").await, (200, "variable ok: hello from the registry".to_string()));
        assert_eq!(get(&kiln, "/env").await, (200, "env from the registry".to_string()));
        let put = client().put(kiln.url("/kv/default/k")).body("v").send().await.unwrap();
        assert_eq!(put.status().as_u16(), 200);
        assert_eq!(get(&kiln, "/kv/default/k").await, (200, "v".to_string()));
    });
    drop(kiln);
    // State lives under a per-app folder of the cache, not in the current dir.
    let app_dir = cache.path().join(format!("registry/apps/{}/app/v1", registry.addr.replace(':', "_")));
    assert!(app_dir.join(".spin/sqlite_key_value.db").is_file(), "no state in {}", app_dir.display());

    // `kiln registry pull` into another empty cache, then again: all cached.
    let pull_cache = tempfile::tempdir().unwrap();
    let pulled = ok(kiln_registry(pull_cache.path(), &["pull", &reference]));
    assert!(pulled.contains("4 blobs downloaded"), "{pulled}");
    let again = ok(kiln_registry(pull_cache.path(), &["pull", &reference]));
    assert!(again.contains("0 blobs downloaded") && again.contains("4 already cached"), "{again}");
    let blob = pull_cache
        .path()
        .join(format!("registry/blobs/sha256/{}", hex::encode(Sha256::digest(greeting()))));
    assert_eq!(std::fs::read(blob).unwrap(), greeting());

    // With the registry gone, `kiln up` serves the last pull from the cache.
    drop(registry);
    let mut command = Command::new(kiln_bin());
    command.env("KILN_CACHE_DIR", cache.path());
    let kiln = Kiln::try_up_in(command, Path::new(&reference), &["--insecure"])
        .unwrap_or_else(|e| panic!("offline kiln up -f {reference} failed: {e}"));
    rt().block_on(async { assert_eq!(get(&kiln, "/kv/default/k").await, (200, "v".to_string())) });
    assert!(kiln.wait_for_output("serving the cached copy"), "{}", kiln.stderr.lock().unwrap());
}

#[test]
fn tampered_blob_is_refused() {
    let Some(registry) = Registry::start() else { return };
    let (reference, _scratch) = push_app(&registry, "tamper:v1");

    // Flip the stored bytes of the data layer, keeping its length.
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(greeting())));
    let file = registry.blob_file(&digest);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();

    let cache = tempfile::tempdir().unwrap();
    let err = fails(kiln_registry(cache.path(), &["pull", &reference]));
    assert!(err.contains(&digest) && err.contains("does not match its digest"), "{err}");
    // Nothing unverified is left in the cache.
    let kept = cache.path().join(format!("registry/blobs/sha256/{}", digest.trim_start_matches("sha256:")));
    assert!(!kept.exists());
}

#[test]
fn clear_errors_for_bad_references_missing_tags_and_dead_registries() {
    let cache = tempfile::tempdir().unwrap();
    let bad = fails(kiln_registry(cache.path(), &["pull", "Not A/Ref:v1"]));
    assert!(bad.contains("invalid registry reference `Not A/Ref:v1`"), "{bad}");

    // Nothing listens on port 9 of this machine.
    let dead = fails(kiln_registry(cache.path(), &["pull", "127.0.0.1:9/app:v1"]));
    assert!(dead.contains("cannot reach registry 127.0.0.1:9"), "{dead}");

    let Some(registry) = Registry::start() else { return };
    let missing = registry.reference("missing:v1");
    let err = fails(kiln_registry(cache.path(), &["pull", &missing]));
    assert!(err.contains("not found in the registry"), "{err}");
    // `kiln up` says the same, and a path-like value stays a path error.
    let up_err = up_fails(Path::new(&missing));
    assert!(up_err.contains("not found in the registry"), "{up_err}");
    let path_err = up_fails(Path::new("no-such-folder"));
    assert!(path_err.contains("no-such-folder"), "{path_err}");
    let flag = Command::new(kiln_bin())
        .args(["up", "--from-registry", &missing, "--listen", "127.0.0.1:0"])
        .env("KILN_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert!(fails(flag).contains("not found in the registry"));
}

/// `kiln registry login SERVER -u alice` with the password on stdin.
fn login(config: &Path, server: &str, password: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(kiln_bin())
        .args(["registry", "login", server, "-u", "alice", "--password-stdin"])
        .env("XDG_CONFIG_HOME", config)
        .env("DOCKER_CONFIG", config.join("docker"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kiln registry login");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn basic_auth_registry_needs_login_and_checks_the_password() {
    // A bcrypt htpasswd line for alice:s3cret (libc's crypt, through perl).
    let auth_dir = tempfile::tempdir().unwrap();
    let hash = Command::new("perl")
        .args(["-e", r#"print crypt("s3cret", q($2b$04$abcdefghijklmnopqrstuu))"#])
        .output()
        .expect("perl");
    let hash = String::from_utf8_lossy(&hash.stdout).to_string();
    assert!(hash.starts_with("$2b$04$"), "libc crypt has no bcrypt: {hash}");
    let htpasswd = auth_dir.path().join("htpasswd");
    std::fs::write(&htpasswd, format!("alice:{hash}\n")).unwrap();
    let Some(registry) = Registry::start_with(Some(&htpasswd)) else { return };
    let app = app();
    let reference = registry.reference("private:v1");
    let home = tempfile::tempdir().unwrap();

    let denied = fails(kiln_registry(home.path(), &["push", "-f", app.path().to_str().unwrap(), &reference]));
    assert!(denied.contains("answered unauthorized") && denied.contains("kiln registry login"), "{denied}");
    let wrong = fails(login(&home.path().join("config"), &registry.addr, "wrong"));
    assert!(wrong.contains("answered unauthorized"), "{wrong}");
    assert!(!home.path().join("config/kiln/registry-auth.json").exists());

    let stored = ok(login(&home.path().join("config"), &registry.addr, "s3cret"));
    assert!(stored.contains("Login succeeded"), "{stored}");
    let text = std::fs::read_to_string(home.path().join("config/kiln/registry-auth.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // base64("alice:s3cret")
    assert_eq!(json["auths"][&registry.addr]["auth"], "YWxpY2U6czNjcmV0");
    // Push and pull now use the stored credentials.
    ok(kiln_registry(home.path(), &["push", "-f", app.path().to_str().unwrap(), &reference]));
    let pulled = ok(kiln_registry(home.path(), &["pull", &reference]));
    assert!(pulled.contains("4 blobs downloaded"), "{pulled}");

    // Docker's credential store serves too: a fresh home whose Docker
    // config names a helper (`docker-credential-kilntest`, on PATH) that
    // knows this registry, as `docker login` into a keychain leaves it.
    let docker_home = tempfile::tempdir().unwrap();
    let bin = docker_home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-kilntest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\n[ \"$server\" = \"{}\" ] || {{ echo 'credentials not found'; exit 1; }}\n\
             echo '{{\"ServerURL\": \"'$server'\", \"Username\": \"alice\", \"Secret\": \"s3cret\"}}'\n",
            registry.addr
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::create_dir_all(docker_home.path().join("docker")).unwrap();
    std::fs::write(docker_home.path().join("docker/config.json"), r#"{"auths": {}, "credsStore": "kilntest"}"#).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let through_helper = Command::new(kiln_bin())
        .args(["registry", "pull", &reference])
        .env("KILN_CACHE_DIR", docker_home.path())
        .env("XDG_CONFIG_HOME", docker_home.path().join("config"))
        .env("DOCKER_CONFIG", docker_home.path().join("docker"))
        .env("PATH", path)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kiln registry pull");
    let pulled = ok(through_helper);
    assert!(pulled.contains("4 blobs downloaded"), "{pulled}");
}

#[test]
fn kube_scaffold_describes_the_pushed_app_and_its_variables() {
    let Some(registry) = Registry::start() else { return };
    let (reference, scratch) = push_app(&registry, "shop:v2");
    let kube = |args: &[&str]| {
        Command::new(kiln_bin())
            .arg("kube")
            .arg("scaffold")
            .args(args)
            .env("KILN_CACHE_DIR", scratch.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run kiln kube scaffold")
    };
    let yaml = ok(kube(&["-f", &reference, "--replicas", "2"]));
    assert!(yaml.contains("kind: RuntimeClass\n") && yaml.contains("handler: \"kiln\""), "{yaml}");
    assert!(yaml.contains("kind: Deployment\n") && yaml.contains("kind: Service\n"), "{yaml}");
    assert!(yaml.contains("runtimeClassName: \"kiln\""), "{yaml}");
    assert!(yaml.contains(&format!("image: \"{reference}\"")), "{yaml}");
    assert!(yaml.contains("replicas: 2"), "{yaml}");
    assert!(yaml.contains("name: \"shop\""), "the name comes from the repository: {yaml}");
    // The app's one variable, with its default, in a ConfigMap fed as SPIN_VARIABLE_*.
    assert!(yaml.contains("kind: ConfigMap\n") && yaml.contains("\"greeting\": \"hello from the registry\""), "{yaml}");
    assert!(yaml.contains("\"SPIN_VARIABLE_GREETING\""), "{yaml}");
    assert!(!yaml.contains("kind: Secret"), "no secret variables, no Secret: {yaml}");

    let err = fails(kube(&["-f", &registry.reference("missing:v1")]));
    assert!(err.contains("missing"), "{err}");
    let err = fails(kube(&["-f", &reference, "--name", "Not_A_Name"]));
    assert!(err.contains("not a valid Kubernetes name"), "{err}");
}
