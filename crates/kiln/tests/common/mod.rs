//! Shared test harness: builds guest fixtures once, writes app folders
//! (`app`), runs `kiln` as a child process (`process`) and talks HTTP to
//! it (`http`). Every test binary takes all of it with `use common::*;`.

#![allow(dead_code)]

mod app;
mod http;
mod process;
mod resp;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use app::*;
#[allow(unused_imports)]
pub use http::*;
#[allow(unused_imports)]
pub use process::*;
#[allow(unused_imports)]
pub use resp::*;

#[allow(unused_imports)]
pub use kiln_test_support::{repo_root, require, service_available};

/// Builds (or reuses) the guest fixtures and returns their folder.
pub fn guests() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/build-guests.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/build-guests.sh");
        assert!(output.status.success(), "scripts/build-guests.sh failed");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout
            .lines()
            .last()
            .expect("build-guests.sh printed its output folder");
        PathBuf::from(last.trim())
    })
}

/// A guest file from the fixtures, or `None` for an optional guest whose
/// toolchain could not be installed (the build script said why).
pub fn optional_guest(name: &str) -> Option<PathBuf> {
    let path = guests().join(name);
    path.is_file().then_some(path)
}

/// A hand-written fixture from `guests/fixtures` (WAT or WAGI modules
/// that misbehave on purpose).
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("guests/fixtures").join(name)
}

/// A guest file that must exist.
pub fn guest(name: &str) -> PathBuf {
    let path = guests().join(name);
    assert!(
        path.is_file(),
        "guest fixture {} was not built",
        path.display()
    );
    path
}

