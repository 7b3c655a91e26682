//! `kiln build`, `kiln build --up` and `kiln up --build`, end to end with
//! real shell build commands.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Three components in this order: `first` (built in `one/`), `plain`
/// (no build command) and `second`.
fn ordered() -> String {
    Manifest::new("build-order")
        .built(
            "first",
            "first.wasm",
            "command = \"echo first-out; echo first-err >&2; pwd > where.txt; echo first >> ../order.txt\"\n\
             workdir = \"one\"",
        )
        .component("plain", "plain.wasm", "")
        .built("second", "second.wasm", r#"command = ["echo second >> order.txt", "echo second-out"]"#)
        .toml()
}

#[test]
fn build_runs_each_command_in_manifest_order_in_its_workdir_with_prefixed_output() {
    let dir = app_dir(&ordered(), &[("one/.keep", b"")]);
    let out = kiln(&["build", "-f", dir.path().to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "kiln build failed: {stdout}{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("order.txt")).unwrap(), "first\nsecond\n");
    let workdir = std::fs::read_to_string(dir.path().join("one/where.txt")).unwrap();
    assert_eq!(Path::new(workdir.trim()), dir.path().join("one").canonicalize().unwrap());
    assert!(stdout.lines().any(|l| l == "[first] first-out"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "[second] second-out"), "{stdout}");
    assert!(stderr.lines().any(|l| l == "[first] first-err"), "stderr is prefixed too: {stderr}");
    assert!(stdout.contains("No build command for component `plain`; skipping"), "{stdout}");
}

#[test]
fn build_component_flag_selects_and_unknown_ids_are_named() {
    let dir = app_dir(&ordered(), &[("one/.keep", b"")]);
    let from = dir.path().to_str().unwrap();
    let out = kiln(&["build", "-f", from, "-c", "second"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("order.txt")).unwrap(), "second\n");

    let out = kiln(&["build", "-f", from, "-c", "nope"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no component `nope` in the manifest (components: first, plain, second)"), "{stderr}");
}

#[test]
fn failing_build_names_component_command_and_exit_code_and_stops() {
    let manifest = Manifest::new("fails")
        .built("bad", "bad.wasm", r#"command = "echo trying; exit 3""#)
        .built("after", "after.wasm", r#"command = "touch after-ran""#)
        .toml();
    let dir = app_dir(&manifest, &[]);
    let out = kiln(&["build", "-f", dir.path().join("spin.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("component `bad`: build command `echo trying; exit 3` failed with exit code 3"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("[bad] trying"));
    assert!(!dir.path().join("after-ran").exists(), "the build stops at the first failure");
}

#[test]
fn build_output_is_streamed_while_the_command_runs() {
    // The command waits for a file the test creates only after seeing the
    // first line: buffered output would never let it finish.
    let command = "echo started; i=0; while [ ! -f go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; echo finished";
    let manifest = Manifest::new("stream").built("slow", "slow.wasm", &format!("command = \"{command}\"")).toml();
    let dir = app_dir(&manifest, &[]);
    let mut child = Command::new(kiln_bin())
        .args(["build", "-f", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kiln build");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("[slow]"));
    assert_eq!(first.as_deref(), Some("[slow] started"));
    std::fs::write(dir.path().join("go"), "").unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l == "[slow] finished"), "{rest:?}");
    assert!(child.wait().unwrap().success());
    assert!(dir.path().join("go").exists());
}

fn copying_app() -> tempfile::TempDir {
    let guest = guest("spin_rust_http_wasip2.wasm");
    let manifest = Manifest::new("copied")
        .http("/...", "hello")
        .built("hello", "app.wasm", &format!("command = \"cp '{}' app.wasm\"", guest.display()))
        .toml();
    app_dir(&manifest, &[])
}

fn get_hello(kiln: &Kiln) -> String {
    rt().block_on(async { client().get(kiln.url("/hello")).send().await.unwrap().text().await.unwrap() })
}

#[test]
fn up_with_build_flag_builds_then_serves() {
    let dir = copying_app();
    let kiln = Kiln::up(dir.path(), &["--build"]);
    assert!(dir.path().join("app.wasm").is_file());
    assert_eq!(get_hello(&kiln), "Hello, Kiln!");
    assert!(kiln.stdout.lock().unwrap().contains("Building component `hello`"));
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn build_with_up_flag_serves_with_the_remaining_flags() {
    let dir = copying_app();
    // The harness runs `<program> up -f DIR --listen 127.0.0.1:0`: this
    // wrapper turns it into `kiln build --up -f DIR --listen 127.0.0.1:0`.
    let mut wrapper = Command::new("bash");
    wrapper.args(["-c", r#"k="$0"; shift; exec "$k" build --up "$@""#, kiln_bin()]);
    let kiln = match Kiln::try_up_in(wrapper, dir.path(), &["-e", "GREETING=via-build-up"]) {
        Ok(kiln) => kiln,
        Err(err) => panic!("kiln build --up did not serve: {err}"),
    };
    assert_eq!(get_hello(&kiln), "Hello, Kiln!");
    // `-e` reached `kiln up`.
    let env = rt().block_on(async { client().get(kiln.url("/env")).send().await.unwrap().text().await.unwrap() });
    assert_eq!(env, "via-build-up");
    assert_eq!(kiln.interrupt().code(), Some(0));
}

#[test]
fn build_up_rejects_bad_up_flags_before_building() {
    let dir = copying_app();
    let out = kiln(&["build", "-f", dir.path().to_str().unwrap(), "--up", "--no-such-flag"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid `kiln up` flags") && stderr.contains("--no-such-flag"), "{stderr}");
    assert!(!dir.path().join("app.wasm").exists(), "nothing was built");
}
