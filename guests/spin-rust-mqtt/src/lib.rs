//! Kiln test guest: publishes MQTT messages through the Rust `spin-sdk`
//! 5.2.0 (`fermyon:spin/mqtt@2.0.0`).
//!
//! `POST /publish?address=…&topic=…&qos=0|1|2[&username=…&password=…&keep_alive=…]`
//! opens a connection to `address` and publishes the request body to
//! `topic`. Success is `200 published`; an SDK error is `500 error: {e:?}`
//! with the error's `Debug` text (e.g. `Error::InvalidAddress`), so a test
//! can tell the host's error variants apart; a malformed request is 400.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::mqtt::{Connection, Qos};

#[http_component]
fn handle(req: Request) -> Response {
    match (req.method(), req.path()) {
        (Method::Post, "/publish") => publish(&req).unwrap_or_else(|resp| resp),
        _ => reply(404, "not found".to_string()),
    }
}

fn publish(req: &Request) -> Result<Response, Response> {
    let query = req.query();
    let required = |name: &str| param(query, name).ok_or_else(|| reply(400, format!("missing `{name}`")));
    let address = required("address")?;
    let topic = required("topic")?;
    let qos = match required("qos")?.as_str() {
        "0" => Qos::AtMostOnce,
        "1" => Qos::AtLeastOnce,
        "2" => Qos::ExactlyOnce,
        other => return Err(reply(400, format!("bad qos `{other}`"))),
    };
    let username = param(query, "username").unwrap_or_default();
    let password = param(query, "password").unwrap_or_default();
    let keep_alive = match param(query, "keep_alive") {
        Some(secs) => secs.parse().map_err(|_| reply(400, format!("bad keep_alive `{secs}`")))?,
        None => 30,
    };
    let connection = Connection::open(&address, &username, &password, keep_alive)
        .map_err(|e| reply(500, format!("error: {e:?}")))?;
    connection
        .publish(&topic, &req.body().to_vec(), qos)
        .map_err(|e| reply(500, format!("error: {e:?}")))?;
    Ok(reply(200, "published".to_string()))
}

/// The percent-decoded value of query parameter `name`.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key) == name).then(|| decode(value))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reply(status: u16, body: String) -> Response {
    Response::builder().status(status).header("content-type", "text/plain").body(body).build()
}
