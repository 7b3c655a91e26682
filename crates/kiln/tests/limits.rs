//! The limits of `kiln up`, each against a guest or client that would go
//! past it: instance memory, request timeout, request body and header size,
//! slow clients, concurrent requests and host-buffered bytes.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;

/// A manifest serving `routes` (`(route, component id, source, wagi?)`)
/// plus a static `/ok`.
fn manifest(routes: &[(&str, &str, PathBuf, bool)]) -> String {
    let mut out = String::from(
        "spin_manifest_version = 2\n[application]\nname = \"limits\"\n\n[[trigger.http]]\nroute = \"/ok\"\nstatic_response = { body = \"ok\" }\n",
    );
    for (route, id, source, wagi) in routes {
        let executor = if *wagi {
            "executor = { type = \"wagi\" }\n"
        } else {
            ""
        };
        out.push_str(&format!(
            "\n[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{id}\"\n{executor}\n[component.{id}]\nsource = \"{}\"\n",
            source.display()
        ));
    }
    out
}

#[test]
fn request_timeout_stops_looping_components_and_wagi_modules_with_504() {
    let dir = app_dir(
        &manifest(&[
            ("/loop", "spinner", fixture("http-loop.wat"), false),
            ("/wagi-loop", "wagi-spinner", fixture("loop.wat"), true),
        ]),
        &[],
    );
    let kiln = Kiln::up(dir.path(), &["--request-timeout", "1"]);
    rt().block_on(async {
        for _ in 0..2 {
            assert_eq!(status(&kiln, "/loop").await, 504);
            assert_eq!(status(&kiln, "/wagi-loop").await, 504);
            assert_eq!(
                status(&kiln, "/ok").await,
                200,
                "the server keeps answering"
            );
        }
    });
    assert!(kiln.wait_for_output("request timed out"), "timeout logged");
    let stderr = kiln.stderr.lock().unwrap().clone();
    assert!(
        stderr.contains("spinner") && stderr.contains("wagi-spinner"),
        "component ids logged: {stderr}"
    );
}

#[test]
fn memory_growth_past_the_limit_fails_inside_the_guest() {
    let routes = [
        (
            "/wagi-hog",
            "wagi-hog",
            fixture("wagi-memory-hog.wat"),
            true,
        ),
        ("/hog", "hog", fixture("http-memory-hog.wat"), false),
    ];
    let dir = app_dir(&manifest(&routes), &[]);
    let kiln = Kiln::up(dir.path(), &["--max-instance-memory", "32M"]);
    rt().block_on(async {
        for _ in 0..2 {
            assert_eq!(
                status(&kiln, "/wagi-hog").await,
                500,
                "64 MiB more is refused under 32M"
            );
            assert_eq!(status(&kiln, "/hog").await, 500);
            assert_eq!(status(&kiln, "/ok").await, 200);
        }
    });
    assert!(
        kiln.wait_for_output("unreachable"),
        "the guests saw memory.grow fail and trapped"
    );
    drop(kiln);

    // The same guests get their memory under a larger limit.
    let kiln = Kiln::up(dir.path(), &["--max-instance-memory", "128M"]);
    rt().block_on(async {
        let resp = patient_client()
            .get(kiln.url("/wagi-hog"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "grew 64 MiB");
        assert_eq!(status(&kiln, "/hog").await, 500);
    });
    assert!(
        kiln.wait_for_output("without setting a response"),
        "the component got its memory"
    );
    assert!(!kiln.stderr.lock().unwrap().contains("unreachable"));
}

fn stream_of(total: usize, chunk: usize) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..total)
        .step_by(chunk)
        .map(|start| Ok(vec![b'x'; chunk.min(total - start)]))
        .collect();
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

#[test]
fn request_bodies_over_the_limit_get_413_declared_or_streamed() {
    let dir = app_dir(
        &manifest(&[
            ("/hash", "stream", guest("wasi_http_stream.wasm"), false),
            ("/cgi", "cgi", guest("wagi_rust.wasm"), true),
        ]),
        &[],
    );
    let kiln = Kiln::up(dir.path(), &["--max-request-body-size", "1K"]);
    rt().block_on(async {
        let client = patient_client();
        let resp = client
            .post(kiln.url("/hash"))
            .body(vec![b'x'; 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "at the limit");
        assert_eq!(resp.headers()["x-body-len"], "1024");
        let resp = client
            .post(kiln.url("/hash"))
            .body(vec![b'x'; 2000])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "declared Content-Length over the limit");
        let resp = client
            .post(kiln.url("/hash"))
            .body(stream_of(2000, 500))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "streamed body growing past the limit");
        let resp = client
            .post(kiln.url("/cgi"))
            .body(stream_of(2000, 500))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "WAGI body read whole");
        assert_eq!(status(&kiln, "/ok").await, 200);
    });
}

#[test]
fn request_heads_over_the_limit_get_431() {
    let dir = app_dir(&manifest(&[]), &[]);
    let kiln = Kiln::up(dir.path(), &["--max-header-size", "8K"]);
    rt().block_on(async {
        let client = patient_client();
        let resp = client
            .get(kiln.url("/ok"))
            .header("x-big", "a".repeat(4000))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let resp = client
            .get(kiln.url("/ok"))
            .header("x-big", "a".repeat(10_000))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 431);
        assert_eq!(status(&kiln, "/ok").await, 200);
    });
    let stderr = Kiln::try_up(dir.path(), &["--max-header-size", "100"])
        .err()
        .expect("too small is refused");
    assert!(stderr.contains("8192"), "{stderr}");
}

#[test]
fn a_client_trickling_its_headers_is_cut_off_while_others_are_served() {
    let dir = app_dir(&manifest(&[]), &[]);
    let kiln = Kiln::up(dir.path(), &["--header-read-timeout", "1"]);
    let mut slow = TcpStream::connect(kiln.addr).unwrap();
    slow.write_all(b"GET /ok HTTP/1.1\r\nHost: kiln\r\nX-Slow: ")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    // One byte every 100 ms would take 20 s to finish the header line.
    let started = Instant::now();
    let mut cut_off = false;
    let mut served_meanwhile = false;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(100));
        if slow.write_all(b"a").is_err() {
            cut_off = true;
            break;
        }
        let mut buf = [0u8; 256];
        match slow.read(&mut buf) {
            // Closed (0), or answered with an error status: either way cut off.
            Ok(_) => {
                cut_off = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                cut_off = true;
                break;
            }
        }
        if !served_meanwhile {
            served_meanwhile = rt().block_on(status(&kiln, "/ok")) == 200;
        }
    }
    assert!(
        cut_off,
        "the slow client was still connected after {:?}",
        started.elapsed()
    );
    assert!(
        served_meanwhile,
        "a normal client was served while the slow one trickled"
    );
    // A client that connects and sends nothing at all is closed too.
    let mut silent = TcpStream::connect(kiln.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(silent.read(&mut buf), Ok(0)),
        "the silent connection was closed by the server"
    );
}

#[test]
fn requests_beyond_the_concurrency_limit_queue_then_get_503() {
    let dir = app_dir(
        &manifest(&[("/...", "stream", guest("wasi_http_stream.wasm"), false)]),
        &[],
    );
    let kiln = Kiln::up(
        dir.path(),
        &[
            "--max-concurrent-requests",
            "1",
            "--max-queued-requests",
            "1",
        ],
    );
    rt().block_on(async {
        let client = patient_client();
        // Holds the only turn: the response streams until the client reads it all.
        let holder = hold_stream(&client, &kiln).await;
        let first = tokio::spawn(client.get(kiln.url("/stream?bytes=10")).send());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = tokio::spawn(client.get(kiln.url("/stream?bytes=10")).send());
        // One waits in line; the other finds the line full.
        let (done, waiting) = match futures::future::select(first, second).await {
            futures::future::Either::Left((done, other)) => (done, other),
            futures::future::Either::Right((done, other)) => (done, other),
        };
        let refused = done.unwrap().unwrap();
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert_eq!(
            status(&kiln, "/.well-known/spin/health").await,
            200,
            "health checks skip the line"
        );
        drop(holder);
        let served = waiting.await.unwrap().unwrap();
        assert_eq!(
            served.status(),
            200,
            "the queued request runs once the turn is free"
        );
        assert_eq!(served.bytes().await.unwrap().len(), 10);
    });
}

#[test]
fn bytes_buffered_for_a_guest_are_capped() {
    let dir = app_dir(
        &manifest(&[
            ("/cgi", "cgi", guest("wagi_rust.wasm"), true),
            ("/echo", "spin1", guest("spin_inbound_http.wasm"), false),
            ("/hash", "stream", guest("wasi_http_stream.wasm"), false),
        ]),
        &[],
    );
    let kiln = Kiln::up(dir.path(), &["--max-buffered-bytes", "16K"]);
    rt().block_on(async {
        let client = patient_client();
        let post = |path: &str, body: reqwest::Body| client.post(kiln.url(path)).body(body).send();
        assert_eq!(
            post("/cgi", stream_of(20_000, 4000))
                .await
                .unwrap()
                .status(),
            413,
            "WAGI stdin is read whole"
        );
        assert_eq!(
            post("/echo", stream_of(20_000, 4000))
                .await
                .unwrap()
                .status(),
            413,
            "so is a Spin 1 body"
        );
        let streamed = post("/hash", stream_of(20_000, 4000)).await.unwrap();
        assert_eq!(
            streamed.status(),
            200,
            "streaming executors buffer nothing whole"
        );
        assert_eq!(
            post("/cgi", stream_of(4000, 4000)).await.unwrap().status(),
            200
        );
        // wagi_rust echoes its stdin after the environment: past 16K of output.
        assert_eq!(
            post("/cgi", stream_of(16_000, 4000))
                .await
                .unwrap()
                .status(),
            500,
            "WAGI output is capped"
        );
        assert_eq!(status(&kiln, "/ok").await, 200);
    });
}
