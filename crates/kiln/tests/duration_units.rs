//! Every duration flag of `kiln up` takes units (`30`, `30s`, `500ms`, `2m`)
//! through one parser, and a bad value is refused with a clear error.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// An app with a component that never returns at `/loop` and a static `/ok`.
fn looping_app() -> tempfile::TempDir {
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"units\"\n\n\
         [[trigger.http]]\nroute = \"/ok\"\nstatic_response = {{ body = \"ok\" }}\n\n\
         [[trigger.http]]\nroute = \"/loop\"\ncomponent = \"spinner\"\n\n\
         [component.spinner]\nsource = \"{}\"\n",
        fixture("http-loop.wat").display()
    );
    app_dir(&manifest, &[])
}

#[test]
fn request_timeout_with_a_unit_serves_and_stops_looping_instances() {
    let dir = looping_app();
    let kiln = Kiln::up(dir.path(), &["--request-timeout", "2s"]);
    rt().block_on(async {
        assert_eq!(status(&kiln, "/ok").await, 200);
        let started = Instant::now();
        assert_eq!(status(&kiln, "/loop").await, 504);
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(1900), "stopped after 2s, not {took:?}");
        assert!(took < Duration::from_secs(30), "stopped after 2s, not {took:?}");
    });
}

#[test]
fn every_duration_flag_takes_units() {
    let dir = looping_app();
    let kiln = Kiln::up(
        dir.path(),
        &[
            "--request-timeout",
            "500ms",
            "--header-read-timeout",
            "1m",
            "--drain-timeout",
            "2s",
            "--idle-instance-timeout",
            "1500ms",
        ],
    );
    rt().block_on(async {
        assert_eq!(status(&kiln, "/loop").await, 504);
        assert_eq!(status(&kiln, "/ok").await, 200);
    });
}

#[test]
fn bad_durations_are_refused_naming_the_flag() {
    let dir = looping_app();
    for (flag, value) in [("--request-timeout", "soon"), ("--drain-timeout", "2 weeks"), ("--header-read-timeout", "1x")] {
        let err = match Kiln::try_up(dir.path(), &[flag, value]) {
            Ok(kiln) => panic!("{flag} {value} was accepted; serving on {}", kiln.url("/")),
            Err(err) => err,
        };
        assert!(err.contains(flag), "{flag} {value}: {err}");
        assert!(err.contains(value), "{flag} {value}: {err}");
    }
}
