//! CGI output from a WAGI module: never panics, and what passes never carries
//! a header that could reframe the response.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|stdout: &[u8]| {
    if let Ok(response) = kiln_cgi::parse_output(stdout) {
        for name in response.headers.keys() {
            assert!(!kiln_cgi::is_host_managed(name), "{name} passed through");
        }
        assert!(response.body.len() <= stdout.len());
    }
});
