//! Instance reuse for Preview 3 components (`--max-instance-reuse-count`,
//! `--max-instance-concurrent-reuse-count`, `--idle-instance-timeout`).
//!
//! The P3 test guest's `/counter` answers `"{instance id} {count}"`: a random
//! id drawn once per instance and the number of requests that instance has
//! counted, both held in linear memory, so reuse is visible from outside.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;

/// `(instance id, count)` from `/counter` (or `/counter/{ms}`).
async fn counter(kiln: &Kiln, path: &str) -> (String, u64) {
    let resp = client().get(kiln.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let text = resp.text().await.unwrap();
    let (id, count) = text.split_once(' ').unwrap_or_else(|| panic!("bad counter answer `{text}`"));
    (id.to_string(), count.parse().unwrap_or_else(|_| panic!("bad count in `{text}`")))
}

#[test]
fn sequential_requests_reuse_one_instance_by_default() {
    let kiln = Kiln::up(&guest("spin_rust_p3.wasm"), &[]);
    rt().block_on(async {
        let (first, n1) = counter(&kiln, "/counter").await;
        let (second, n2) = counter(&kiln, "/counter").await;
        let (third, n3) = counter(&kiln, "/counter").await;
        assert_eq!((n1, n2, n3), (1, 2, 3), "one instance counted all three");
        assert_eq!(first, second);
        assert_eq!(second, third);
    });
}

#[test]
fn reuse_count_one_gives_a_fresh_instance_per_request() {
    let kiln = Kiln::up(&guest("spin_rust_p3.wasm"), &["--max-instance-reuse-count", "1"]);
    rt().block_on(async {
        let mut ids = Vec::new();
        for _ in 0..3 {
            let (id, count) = counter(&kiln, "/counter").await;
            assert_eq!(count, 1, "every instance is new");
            ids.push(id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 3, "three instances: {ids:?}");
    });
}

#[test]
fn a_reused_instance_retires_after_its_reuse_count() {
    let kiln = Kiln::up(&guest("spin_rust_p3.wasm"), &["--max-instance-reuse-count", "2"]);
    rt().block_on(async {
        let (a1, n1) = counter(&kiln, "/counter").await;
        let (a2, n2) = counter(&kiln, "/counter").await;
        let (b, n3) = counter(&kiln, "/counter").await;
        assert_eq!((a1.as_str(), n1, n2), (a2.as_str(), 1, 2));
        assert_ne!(a1, b, "third request gets a new instance");
        assert_eq!(n3, 1);
    });
}

#[test]
fn concurrent_requests_share_instances() {
    const REQUESTS: usize = 16;
    let kiln = Kiln::up(
        &guest("spin_rust_p3.wasm"),
        &["--max-instance-concurrent-reuse-count", "8", "--idle-instance-timeout", "30s"],
    );
    rt().block_on(async {
        // A warm instance waits for the burst.
        counter(&kiln, "/counter").await;
        // Each request waits 300 ms in the guest, so they overlap.
        let answers =
            futures::future::join_all((0..REQUESTS).map(|_| counter(&kiln, "/counter/300"))).await;
        assert_eq!(answers.len(), REQUESTS, "all answered 200");
        let mut per_instance: HashMap<&str, Vec<u64>> = HashMap::new();
        for (id, count) in &answers {
            per_instance.entry(id).or_default().push(*count);
        }
        assert!(
            per_instance.len() < REQUESTS,
            "{REQUESTS} concurrent requests used {} instances: {per_instance:?}",
            per_instance.len()
        );
        for counts in per_instance.values_mut() {
            counts.sort();
            let before = counts.len();
            counts.dedup();
            assert_eq!(counts.len(), before, "an instance counts each request once");
            assert!(counts.len() <= 8 + 1, "at most 8 at once (+ the warm-up): {counts:?}");
        }
    });
}

#[test]
fn a_trap_retires_the_instance_and_the_next_request_works() {
    let kiln = Kiln::up(&guest("spin_rust_p3.wasm"), &[]);
    rt().block_on(async {
        let (before, _) = counter(&kiln, "/counter").await;
        let resp = client().get(kiln.url("/panic")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        let (after, count) = counter(&kiln, "/counter").await;
        assert_ne!(before, after, "the trapped instance is gone");
        assert_eq!(count, 1, "a fresh instance");
        let (again, count) = counter(&kiln, "/counter").await;
        assert_eq!((again.as_str(), count), (after.as_str(), 2), "and that one is reused");
    });
    assert!(kiln.wait_for_output("instance retired after a failure"), "trap logged");
}

#[test]
fn an_idle_instance_is_dropped_after_the_idle_timeout() {
    let kiln = Kiln::up(&guest("spin_rust_p3.wasm"), &["--idle-instance-timeout", "200ms"]);
    rt().block_on(async {
        let (first, _) = counter(&kiln, "/counter").await;
        // Well past the idle timeout: not a timing assert, only a wait.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let (second, count) = counter(&kiln, "/counter").await;
        assert_ne!(first, second, "the idle instance was dropped");
        assert_eq!(count, 1);
    });
}

#[test]
fn reuse_flags_are_checked() {
    for (flag, value) in [
        ("--max-instance-reuse-count", "0"),
        ("--max-instance-concurrent-reuse-count", "0"),
        ("--idle-instance-timeout", "soon"),
    ] {
        let err = Kiln::try_up(&guest("spin_rust_p3.wasm"), &[flag, value])
            .err()
            .unwrap_or_else(|| panic!("{flag} {value} accepted"));
        assert!(err.contains(flag), "error names the flag: {err}");
    }
}
