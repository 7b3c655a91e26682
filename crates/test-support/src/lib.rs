//! Helpers shared by the tests of several Kiln crates (a dev-dependency only).
//!
//! It holds what every test suite that talks to a local service repeats:
//! whether the service answers (skipping outside CI, failing under
//! `CI=true`), names no other run shares, and the repository root. It
//! refuses anything a test asserts about Kiln itself: no fixtures, no
//! Kiln servers, no expectations. The one server it runs is a local OCI
//! registry ([`Registry`]), which two crates' tests push to.

mod registry;

pub use registry::Registry;

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A local service some tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// How messages name it.
    pub name: &'static str,
    /// Where it listens.
    pub addr: &'static str,
}

/// The Redis server the tests use.
pub const REDIS: Service = Service { name: "Redis", addr: "127.0.0.1:6379" };
/// The PostgreSQL server the tests use (`postgres@…/test`).
pub const POSTGRES: Service = Service { name: "PostgreSQL", addr: "127.0.0.1:5432" };
/// The MariaDB/MySQL server the tests use (`root@…/test`).
pub const MYSQL: Service = Service { name: "MySQL", addr: "127.0.0.1:3306" };
/// The Mosquitto MQTT broker the tests use.
pub const MOSQUITTO: Service = Service { name: "Mosquitto", addr: "127.0.0.1:1883" };

/// Whether something accepts TCP connections on `addr` (within 2 s).
pub fn reachable(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .ok()
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// Whether the service `name` answers on `addr`. When it does not, a test
/// outside CI prints why and should skip (return early); under `CI=true`
/// this panics instead, so CI never passes by skipping.
pub fn service_available(name: &str, addr: &str) -> bool {
    if reachable(addr) {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{name} is not reachable on {addr}, and CI requires it");
    }
    eprintln!("SKIPPED: {name} is not reachable on {addr}");
    false
}

/// [`service_available`] for one of the well-known services.
pub fn required_or_skip(service: Service) -> bool {
    service_available(service.name, service.addr)
}

/// Returns from the enclosing test when `service` is absent (outside CI).
#[macro_export]
macro_rules! require {
    ($service:expr) => {
        if !$crate::required_or_skip($service) {
            return;
        }
    };
}

/// A name no other test or run shares: `prefix`, the process id, the time
/// in nanoseconds and a per-process counter, joined by `-`.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// [`unique_name`] usable as an SQL identifier (`_` instead of `-`).
pub fn unique_table(prefix: &str) -> String {
    unique_name(prefix).replace('-', "_")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differ_and_tables_are_identifiers() {
        assert_ne!(unique_name("a"), unique_name("a"));
        let table = unique_table("kiln-t");
        assert!(table.starts_with("kiln_t_"));
        assert!(table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{table}");
    }

    #[test]
    fn an_unparsable_or_closed_address_is_unreachable() {
        assert!(!reachable("not an address"));
        // Port 1 on loopback has nothing listening in any sane test setup.
        assert!(!reachable("127.0.0.1:1"));
    }

    #[test]
    fn an_open_port_is_reachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        assert!(reachable(&addr));
        assert!(service_available("test listener", &addr));
    }

    #[test]
    fn the_repo_root_holds_the_workspace() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("crates/test-support").is_dir());
    }
}
