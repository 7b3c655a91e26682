//! Kiln test guest: publishes MQTT messages through the Rust `spin-sdk`
//! 7.0.0 (Preview 3), whose `spin:mqtt/mqtt@3.0.0` functions are
//! `async func`s.
//!
//! `POST /publish?address=…&topic=…&qos=0|1|2` opens a connection to
//! `address` (no credentials, keep-alive 30 s) and publishes the request
//! body to `topic`: `200 published`, an SDK error `500 error: {e:?}`
//! (e.g. `Error::InvalidAddress`), a malformed request 400.

use bytes::Bytes;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{BoxBody, FullBody, IntoResponse, Method, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;
use spin_sdk::mqtt::{Connection, Qos};

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    if req.method() != Method::POST || req.uri().path() != "/publish" {
        return text(404, "not found".to_string());
    }
    let query = req.uri().query().unwrap_or_default().to_string();
    let (Some(address), Some(topic), Some(qos)) =
        (param(&query, "address"), param(&query, "topic"), param(&query, "qos"))
    else {
        return text(400, "address, topic and qos are required".to_string());
    };
    let qos = match qos.as_str() {
        "0" => Qos::AtMostOnce,
        "1" => Qos::AtLeastOnce,
        "2" => Qos::ExactlyOnce,
        other => return text(400, format!("bad qos `{other}`")),
    };
    let payload = req.into_body().bytes().await?.to_vec();
    let connection = match Connection::open(&address, "", "", 30).await {
        Ok(connection) => connection,
        Err(e) => return text(500, format!("error: {e:?}")),
    };
    match connection.publish(&topic, payload, qos).await {
        Ok(()) => text(200, "published".to_string()),
        Err(e) => text(500, format!("error: {e:?}")),
    }
}

fn text(status: u16, body: String) -> anyhow::Result<Response<BoxBody>> {
    Ok(Response::builder()
        .status(StatusCode::from_u16(status)?)
        .header("content-type", "text/plain")
        .body(box_body(FullBody::new(Bytes::from(body))))?)
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
