//! Any text given to the manifest parser yields a manifest or an error that
//! names the file; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    match kiln_manifest::parse_str(text, Path::new("spin.toml")) {
        Ok(manifest) => {
            // Every trigger's component exists: validation promised it.
            for trigger in &manifest.http_triggers {
                if let Some(id) = &trigger.component {
                    assert!(manifest.component(id).is_some(), "dangling component {id}");
                }
            }
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.contains("spin.toml"), "error without the file name: {message}");
        }
    }
});
