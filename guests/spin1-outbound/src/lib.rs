//! Kiln test guest: a Spin 1 `fermyon:spin/inbound-http` component sending
//! requests with Spin 1 `fermyon:spin/http`, bindings generated from the
//! host's WIT (crates/world/wit, world `kiln:host/spin1-http-guest`).
//!
//! `GET /fetch?url=URL` sends `GET URL` (percent-decoded; a path means the
//! app itself) and answers with the upstream status and body; an error
//! answers 500 `error: {err:?}` (e.g. `HttpError::DestinationNotAllowed`).
//! `GET /hello` answers `hello from spin1-outbound`.

wit_bindgen::generate!({
    path: "../../crates/world/wit",
    world: "kiln:host/spin1-http-guest",
    generate_all,
});

use exports::fermyon::spin::inbound_http::{Guest, Request, Response};
use fermyon::spin::http;
use fermyon::spin::http_types::Method;

struct Component;

impl Guest for Component {
    fn handle_request(req: Request) -> Response {
        let (path, query) = req.uri.split_once('?').unwrap_or((req.uri.as_str(), ""));
        let path = path.rsplit_once("://").map_or(path, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        match (req.method, path) {
            (Method::Get, "/hello") => text(200, "hello from spin1-outbound".into()),
            (Method::Get, "/fetch") => match query_param(query, "url") {
                Some(url) => fetch(url),
                None => text(400, "missing url parameter".into()),
            },
            _ => text(404, "not found".into()),
        }
    }
}

fn fetch(url: String) -> Response {
    let request = http::Request { method: Method::Get, uri: url, headers: Vec::new(), params: Vec::new(), body: None };
    match http::send_request(&request) {
        Ok(resp) => Response { status: resp.status, headers: None, body: resp.body },
        Err(e) => text(500, format!("error: {e:?}")),
    }
}

fn text(status: u16, body: String) -> Response {
    Response {
        status,
        headers: Some(vec![("content-type".into(), "text/plain".into())]),
        body: Some(body.into_bytes()),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

export!(Component);
