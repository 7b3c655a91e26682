//! Guest and client faults: each fails only its own request, is logged with
//! the component id and the cause, and the server keeps answering. Shutdown
//! drains in-flight requests within a bound, exits 0 and loses no
//! acknowledged write. (Plain traps and WAGI output faults are covered in
//! `wagi_and_errors.rs`, SDK guest panics in `http_apps.rs` and `p3.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::*;

fn route(route: &str, id: &str, source: &std::path::Path, wagi: bool, extra: &str) -> String {
    let executor = if wagi {
        "executor = { type = \"wagi\" }\n"
    } else {
        ""
    };
    format!(
        "\n[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{id}\"\n{executor}\n[component.{id}]\nsource = \"{}\"\n{extra}",
        source.display()
    )
}

fn app(routes: &[String]) -> tempfile::TempDir {
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"faults\"\n{}",
        routes.concat()
    );
    app_dir(&manifest, &[])
}

async fn get(kiln: &Kiln, path: &str) -> (u16, String) {
    let resp = patient_client()
        .get(kiln.url(path))
        .send()
        .await
        .expect("response");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

#[test]
fn stack_overflow_exit_and_out_of_memory_fail_only_their_request() {
    let dir = app(&[
        route(
            "/...",
            "rust",
            &guest("spin_rust_http_wasip2.wasm"),
            false,
            "",
        ),
        route(
            "/c-overflow",
            "c-overflow",
            &fixture("http-stack-overflow.wat"),
            false,
            "",
        ),
        route("/c-exit", "c-exit", &fixture("http-exit.wat"), false, ""),
        route(
            "/c-oom",
            "c-oom",
            &fixture("http-memory-hog.wat"),
            false,
            "",
        ),
        route(
            "/w-overflow",
            "w-overflow",
            &fixture("wagi-stack-overflow.wat"),
            true,
            "",
        ),
        route("/w-exit", "w-exit", &fixture("wagi-exit.wat"), true, ""),
        route("/w-oom", "w-oom", &fixture("wagi-memory-hog.wat"), true, ""),
    ]);
    let kiln = Kiln::up(dir.path(), &["--max-instance-memory", "16M"]);
    rt().block_on(async {
        for path in [
            "/c-overflow",
            "/c-exit",
            "/c-oom",
            "/w-overflow",
            "/w-exit",
            "/w-oom",
            "/panic",
        ] {
            assert_eq!(get(&kiln, path).await.0, 500, "{path}");
            assert_eq!(
                get(&kiln, "/hello").await,
                (200, "Hello, Kiln!".to_string()),
                "after {path}"
            );
        }
    });
    for (id, cause) in [
        ("c-overflow", "call stack exhausted"),
        ("w-overflow", "call stack exhausted"),
        ("c-exit", "exit status 1"),
        ("w-exit", "exited with code 3"),
        ("c-oom", "unreachable"),
        ("w-oom", "unreachable"),
        ("rust", "unreachable"),
    ] {
        let logged = |stderr: &str| stderr.lines().any(|l| l.contains(id) && l.contains(cause));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !logged(&kiln.stderr.lock().unwrap()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let stderr = kiln.stderr.lock().unwrap().clone();
        assert!(logged(&stderr), "`{id}` logged with `{cause}`: {stderr}");
    }
    // Guest output is echoed as `[component] line`; anything else is the host's.
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(
        !stderr
            .lines()
            .any(|l| !l.starts_with('[') && l.contains("panicked at")),
        "the host never panics: {stderr}"
    );
}

#[test]
fn a_client_leaving_mid_stream_frees_the_instance() {
    let dir = app(&[route(
        "/...",
        "stream",
        &guest("wasi_http_stream.wasm"),
        false,
        "",
    )]);
    // One turn and no line: the next request only runs once the first instance is gone.
    let kiln = Kiln::up(
        dir.path(),
        &[
            "--max-concurrent-requests",
            "1",
            "--max-queued-requests",
            "0",
        ],
    );
    rt().block_on(async {
        let client = patient_client();
        let resp = hold_stream(&client, &kiln).await;
        drop(resp);
        drop(client);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = get(&kiln, "/stream?bytes=10").await;
            if status == 200 {
                assert_eq!(body.len(), 10);
                break;
            }
            assert_eq!(status, 503, "only 'busy' while the old instance winds down");
            assert!(
                Instant::now() < deadline,
                "the abandoned instance was never freed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

fn state_route(dir_extra: &str) -> String {
    route(
        "/...",
        "state",
        &guest("spin_rust_state.wasm"),
        false,
        &format!("key_value_stores = [\"default\"]\n{dir_extra}"),
    )
}

#[test]
fn sigterm_drains_in_flight_requests_and_acknowledged_writes_survive() {
    let dir = app(&[
        state_route(""),
        route("/slow", "slow", &fixture("wagi-slow.wat"), true, ""),
    ]);
    let kiln = Kiln::up(dir.path(), &[]);
    let url = kiln.url("/slow");
    let in_flight = std::thread::spawn(move || {
        rt().block_on(async {
            let resp = patient_client()
                .get(url)
                .send()
                .await
                .expect("drained, not dropped");
            (
                resp.status().as_u16(),
                resp.text().await.unwrap_or_default(),
            )
        })
    });
    rt().block_on(async {
        let resp = patient_client()
            .put(kiln.url("/kv/default/acked"))
            .body("before sigterm")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "stored");
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(kiln.terminate().code(), Some(0));
    assert_eq!(
        in_flight.join().unwrap(),
        (200, "done".to_string()),
        "the in-flight request finished"
    );

    let kiln = Kiln::up(dir.path(), &[]);
    rt().block_on(async {
        assert_eq!(
            get(&kiln, "/kv/default/acked").await,
            (200, "before sigterm".to_string())
        );
    });
}

#[test]
fn shutdown_waits_no_longer_than_the_drain_timeout() {
    let dir = app(&[route("/loop", "spinner", &fixture("loop.wat"), true, "")]);
    // No request timeout: only the drain bound ends this request.
    let kiln = Kiln::up(dir.path(), &["--drain-timeout", "1"]);
    let url = kiln.url("/loop");
    let stuck = std::thread::spawn(move || {
        rt().block_on(async { patient_client().get(url).send().await.is_ok() })
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        kiln.terminate().code(),
        Some(0),
        "exits 0 although a guest never finished"
    );
    assert!(
        !stuck.join().unwrap(),
        "the stuck request was cut off, not answered"
    );
}
