//! Kiln test guest exporting the Spin 1 `fermyon:spin/inbound-http` interface,
//! with bindings generated from the host's WIT (crates/world/wit/deps/fermyon-spin).
//!
//! `GET /hello` → 200 `Hello from inbound-http!`; `POST /echo` → the body
//! back with the request's content-type; `/headers` → `name: value` lines of
//! the request headers and a `uri:`/`method:` line; `/panic` traps.

wit_bindgen::generate!({
    path: "../../crates/world/wit/deps/fermyon-spin",
    world: "inbound-http-guest",
});

use exports::fermyon::spin::inbound_http::{Guest, Request, Response};
use fermyon::spin::http_types::Method;

struct Component;

impl Guest for Component {
    fn handle_request(req: Request) -> Response {
        let path = req.uri.split('?').next().unwrap_or("").to_string();
        println!("inbound-http handled {path}");
        match (req.method, path.as_str()) {
            (Method::Get, "/hello") => text(200, "Hello from inbound-http!".into()),
            (Method::Post, "/echo") => {
                let content_type = req
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "application/octet-stream".into());
                Response {
                    status: 200,
                    headers: Some(vec![("content-type".into(), content_type)]),
                    body: req.body,
                }
            }
            (method, "/headers") => {
                let mut lines = vec![format!("method: {method:?}"), format!("uri: {}", req.uri)];
                let mut headers = req.headers.clone();
                headers.sort();
                lines.extend(headers.iter().map(|(k, v)| format!("{k}: {v}")));
                text(200, lines.join("\n"))
            }
            (_, "/panic") => panic!("inbound-http guest panic requested"),
            (_, p) => text(404, format!("not found: {p}")),
        }
    }
}

fn text(status: u16, body: String) -> Response {
    Response {
        status,
        headers: Some(vec![("content-type".into(), "text/plain".into())]),
        body: Some(body.into_bytes()),
    }
}

export!(Component);
