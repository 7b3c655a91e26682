//! `allowed_outbound_hosts` entries: never panics, and an accepted entry
//! prints back to text that parses to the same rule.
#![no_main]

use arbitrary::Arbitrary;
use kiln_manifest::outbound::AllowedHostConfig;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    entry: &'a str,
    scheme: &'a str,
    host: &'a str,
    port: u16,
}

fuzz_target!(|input: Input<'_>| {
    let _ = kiln_manifest::outbound::from_allowed_http_host(input.entry);
    let Ok(rule) = AllowedHostConfig::parse(input.entry) else { return };
    let printed = rule.to_string();
    let again = AllowedHostConfig::parse(&printed).expect("a printed rule parses");
    assert_eq!(again.to_string(), printed);
    assert_eq!(
        rule.allows(input.scheme, input.host, input.port),
        again.allows(input.scheme, input.host, input.port)
    );
});
