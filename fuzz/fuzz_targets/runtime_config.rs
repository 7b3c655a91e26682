//! Any text given to the runtime-config parser yields a config or an error
//! that names the file; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    if let Err(err) = kiln_runtime_config::RuntimeConfig::parse_str(text, Path::new("runtime-config.toml")) {
        let message = err.to_string();
        assert!(message.contains("runtime-config.toml"), "error without the file name: {message}");
    }
});
