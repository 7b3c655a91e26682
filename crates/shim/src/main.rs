//! `containerd-shim-kiln-v1`: started by containerd for runtime
//! `io.containerd.kiln.v1` (RuntimeClass handler `kiln`).

use containerd_shim_wasm::shim::{Cli, Config};
use kiln_shim::KilnShim;

fn main() {
    KilnShim::run(Config { default_log_level: "info".to_string(), ..Config::default() });
}
