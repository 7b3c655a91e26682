//! Kiln test guest exporting the Spin 1 `fermyon:spin/inbound-http` interface,
//! with bindings generated from the host's WIT (crates/world/wit/deps/fermyon-spin).
//!
//! `GET /hello` → 200 `Hello from inbound-http!`; `POST /echo` → the body
//! back with the request's content-type; `/headers` → `name: value` lines of
//! the request headers and a `uri:`/`method:` line; `/panic` traps.
//! State through the Spin 1 interfaces: `GET`/`PUT /kv/{store}/{key}` (the
//! value, 404 `no such key`, `stored`); `GET /sqlite` runs `SELECT ?, ?`
//! with an integer and a text parameter and answers `columns|values`;
//! `GET /config/{key}` answers the component's config value. A capability
//! error answers 500 `error: {err:?}`.

wit_bindgen::generate!({
    path: "../../crates/world/wit/deps/fermyon-spin",
    world: "inbound-http-state-guest",
});

use exports::fermyon::spin::inbound_http::{Guest, Request, Response};
use fermyon::spin::http_types::Method;
use fermyon::spin::{config, key_value, sqlite};

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
            (method, p) if p.starts_with("/kv/") => {
                let mut parts = p["/kv/".len()..].splitn(2, '/');
                let (store, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                match key_value_route(method, store, key, req.body.unwrap_or_default()) {
                    Ok(resp) => resp,
                    Err(e) => text(500, format!("error: {e:?}")),
                }
            }
            (Method::Get, "/sqlite") => {
                let params = [sqlite::Value::Integer(7), sqlite::Value::Text("seven".into())];
                let result = sqlite::open("default")
                    .and_then(|conn| sqlite::execute(conn, "SELECT ? AS n, ? AS name", &params));
                match result {
                    Ok(result) => text(200, format!("{:?}|{:?}", result.columns, result.rows[0].values)),
                    Err(e) => text(500, format!("error: {e:?}")),
                }
            }
            (Method::Get, p) if p.starts_with("/config/") => match config::get_config(&p["/config/".len()..]) {
                Ok(value) => text(200, value),
                Err(e) => text(500, format!("error: {e:?}")),
            },
            (_, p) => text(404, format!("not found: {p}")),
        }
    }
}

/// Spin 1 key-value on `store`: get, or set the body with PUT.
fn key_value_route(method: Method, store: &str, key: &str, body: Vec<u8>) -> Result<Response, key_value::Error> {
    let handle = key_value::open(store)?;
    let result = match method {
        Method::Put => key_value::set(handle, key, &body).map(|()| text(200, "stored".into())),
        _ => match key_value::get(handle, key) {
            Ok(value) => Ok(Response { status: 200, headers: None, body: Some(value) }),
            Err(key_value::Error::NoSuchKey) => Ok(text(404, "no such key".into())),
            Err(e) => Err(e),
        },
    };
    key_value::close(handle);
    result
}

fn text(status: u16, body: String) -> Response {
    Response {
        status,
        headers: Some(vec![("content-type".into(), "text/plain".into())]),
        body: Some(body.into_bytes()),
    }
}

export!(Component);
