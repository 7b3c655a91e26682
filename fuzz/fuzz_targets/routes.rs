//! Route parsing and matching: never panics, a parsed route re-parses to the
//! same pattern, and every match lies within the path it was given.
#![no_main]

use arbitrary::Arbitrary;
use kiln_routing::{RoutePattern, Router};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    routes: Vec<&'a str>,
    paths: Vec<&'a str>,
}

fuzz_target!(|input: Input<'_>| {
    for route in &input.routes {
        if let Ok(pattern) = RoutePattern::parse(route) {
            let again = RoutePattern::parse(pattern.as_str()).expect("a parsed route re-parses");
            assert_eq!(again.as_str(), pattern.as_str());
        }
    }
    let table = input.routes.iter().map(|r| (r.to_string(), r.to_string())).collect();
    let Ok(router) = Router::build(table) else { return };
    for path in &input.paths {
        if let Some(found) = router.route(path) {
            // The router documents an empty path as `/`.
            let path = if path.is_empty() { "/" } else { path };
            assert!(path.ends_with(&found.path_info), "path_info {:?} not a suffix of {path:?}", found.path_info);
            for (_, segment) in &found.params {
                assert!(!segment.is_empty() && !segment.contains('/'), "bad capture {segment:?}");
            }
        }
    }
});
