//! Kiln test guest: outbound HTTP from a Preview 3 component (Rust
//! `spin-sdk` 7.0.0, `wasi:http/client@0.3.0`).
//!
//! `GET /fetch?url=URL` (`URL` percent-decoded) sends `GET URL` with
//! `spin_sdk::http::send` and answers the upstream status and body; an error
//! answers 500 `error: {err:?}` (e.g. `HttpRequestDenied`). `URL` may be
//! relative (`/hello`: the app itself). `GET /hello` answers
//! `hello from spin-rust-p3-outbound`; `GET /headers...` the request's
//! `spin-*` headers, `name: value` per line, sorted.

use bytes::Bytes;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{BoxBody, EmptyBody, FullBody, IntoResponse, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.uri().path();
    if path == "/hello" {
        return text(200, "hello from spin-rust-p3-outbound".into());
    }
    if path.starts_with("/headers") {
        let mut lines: Vec<String> = req
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("spin-"))
            .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
            .collect();
        lines.sort();
        return text(200, lines.join("\n"));
    }
    let url = req.uri().query().and_then(|q| query_param(q, "url"));
    let Some(url) = url else { return text(400, "missing url parameter".into()) };
    let outgoing = Request::<()>::builder().method("GET").uri(url).body(EmptyBody::new())?;
    match spin_sdk::http::send(outgoing).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match IncomingBodyExt::bytes(resp.into_body()).await {
                Ok(body) => text(status, String::from_utf8_lossy(&body).into_owned()),
                Err(e) => text(500, format!("error: {e:?}")),
            }
        }
        Err(e) => text(500, format!("error: {e:?}")),
    }
}

fn text(status: u16, body: String) -> anyhow::Result<Response<BoxBody>> {
    Ok(Response::builder().status(StatusCode::from_u16(status)?).body(box_body(FullBody::new(Bytes::from(body))))?)
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
