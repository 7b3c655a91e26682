//! Kiln test guest: outbound HTTP through the Rust `spin-sdk` 5.2.0
//! (`wasi:http/outgoing-handler@0.2.0`).
//!
//! Routes:
//!
//! | route | does |
//! |---|---|
//! | `GET /fetch?url=URL` | `spin_sdk::http::send(GET URL)`; answers with the upstream status and body |
//! | `POST /fetch?url=URL` | streams the request body to `POST URL` and the upstream response back |
//! | `GET /hello` | `hello from spin-rust-outbound` (a target for requests to the app itself) |
//! | `POST /echo` | streams the request body back |
//! | `GET /tcp?addr=HOST:PORT` | `std::net::TcpStream` (`wasi:sockets`): sends `GET /data` over HTTP/1.0, answers what came back |
//! | `GET /headers...` | the request's `spin-*` headers, `name: value` per line, sorted |
//! | `GET /loop?d=N&base=B` | fetches `B/loop?d=N+1&base=B` (`B` empty: a relative URL) and answers what came back; a failure answers 500 `loop stopped at d=N: error: …` |
//!
//! SDK errors answer `500 error: {err:?}` — the SDK's own `Debug` text, e.g.
//! `Http(ErrorCode::HttpRequestDenied)` — so tests can tell denials apart.
//! `URL` is percent-decoded; it may be relative (`/hello`: the app itself).

use futures::{SinkExt, StreamExt};
use spin_sdk::http::{
    Fields, IncomingRequest, IncomingResponse, Method, OutgoingRequest, OutgoingResponse, Request, Response,
    ResponseOutparam, Scheme,
};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let path_and_query = req.path_with_query().unwrap_or_default();
    let (path, query) = path_and_query.split_once('?').unwrap_or((&path_and_query, ""));
    let url = query_param(query, "url");
    match (req.method(), path, url) {
        (Method::Get, "/hello", _) => respond(out, 200, b"hello from spin-rust-outbound".to_vec()).await,
        (Method::Get, p, _) if p.starts_with("/headers") => spin_headers(&req, out).await,
        (Method::Get, "/loop", _) => {
            let depth: u32 = query_param(query, "d").and_then(|d| d.parse().ok()).unwrap_or(0);
            let base = query_param(query, "base").unwrap_or_default();
            fetch_loop(depth, &base, out).await
        }
        (Method::Post, "/echo", _) => echo(req, out).await,
        (Method::Get, "/fetch", Some(url)) => fetch(&url, out).await,
        (Method::Post, "/fetch", Some(url)) => fetch_streaming(&url, req, out).await,
        (Method::Get, "/tcp", _) => match query_param(query, "addr") {
            Some(addr) => tcp_get(&addr, out).await,
            None => respond(out, 400, b"missing addr parameter".to_vec()).await,
        },
        (_, "/fetch", None) => respond(out, 400, b"missing url parameter".to_vec()).await,
        _ => respond(out, 404, b"not found".to_vec()).await,
    }
}

/// `GET url` with the buffered SDK API.
async fn fetch(url: &str, out: ResponseOutparam) {
    let result: Result<Response, _> = spin_sdk::http::send(Request::get(url)).await;
    match result {
        Ok(resp) => respond(out, *resp.status(), resp.body().to_vec()).await,
        Err(e) => respond(out, 500, format!("error: {e:?}").into_bytes()).await,
    }
}

/// The request's `spin-*` headers, sorted, one `name: value` line each.
async fn spin_headers(req: &IncomingRequest, out: ResponseOutparam) {
    let mut lines: Vec<String> = req
        .headers()
        .entries()
        .into_iter()
        .filter(|(name, _)| name.starts_with("spin-"))
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(&value)))
        .collect();
    lines.sort();
    respond(out, 200, lines.join("\n").into_bytes()).await
}

/// One step of a request loop: asks the app for the next step.
async fn fetch_loop(depth: u32, base: &str, out: ResponseOutparam) {
    let next = format!("{base}/loop?d={}&base={base}", depth + 1);
    let result: Result<Response, _> = spin_sdk::http::send(Request::get(next)).await;
    match result {
        Ok(resp) => respond(out, *resp.status(), resp.body().to_vec()).await,
        Err(e) => respond(out, 500, format!("loop stopped at d={depth}: error: {e:?}").into_bytes()).await,
    }
}

/// `POST url`, the incoming body streamed up and the response streamed back.
async fn fetch_streaming(url: &str, req: IncomingRequest, out: ResponseOutparam) {
    let outgoing = OutgoingRequest::new(Fields::new());
    if let Err(e) = target(&outgoing, url) {
        return respond(out, 400, e.into_bytes()).await;
    }
    let mut sink = outgoing.take_body();
    let upload = async move {
        let mut body = req.into_body_stream();
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { break };
            if sink.send(chunk).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    };
    // Up- and download run together: an upstream that answers while it
    // still reads (an echo) would otherwise wait on us forever.
    let download = async move {
        let upstream = match spin_sdk::http::send::<_, IncomingResponse>(outgoing).await {
            Ok(upstream) => upstream,
            Err(e) => return respond(out, 500, format!("error: {e:?}").into_bytes()).await,
        };
        let response = OutgoingResponse::new(Fields::new());
        let _ = response.set_status_code(upstream.status());
        let mut body = response.take_body();
        out.set(response);
        let mut stream = upstream.take_body_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            if body.send(chunk).await.is_err() {
                break;
            }
        }
    };
    futures::join!(upload, download);
}

/// `wasi:sockets` through `std::net`: connects to `addr`, sends an HTTP/1.0
/// `GET /data` and answers with what came back.
async fn tcp_get(addr: &str, out: ResponseOutparam) {
    use std::io::{Read, Write};
    let result = (|| -> std::io::Result<Vec<u8>> {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.write_all(b"GET /data HTTP/1.0\r\nHost: upstream\r\n\r\n")?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(answer)
    })();
    match result {
        Ok(answer) => respond(out, 200, answer).await,
        Err(e) => respond(out, 500, format!("error: {e:?}").into_bytes()).await,
    }
}

/// Streams the request body back.
async fn echo(req: IncomingRequest, out: ResponseOutparam) {
    let response = OutgoingResponse::new(Fields::new());
    let _ = response.set_status_code(200);
    let mut body = response.take_body();
    out.set(response);
    let mut stream = req.into_body_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        if body.send(chunk).await.is_err() {
            break;
        }
    }
}

/// Sets scheme, authority and path of `req` from `url`; a relative URL
/// gets the placeholder authority the SDK uses for requests to the app itself.
fn target(req: &OutgoingRequest, url: &str) -> Result<(), String> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        Some((other, _)) => return Err(format!("unsupported scheme {other}")),
        None => (Scheme::Http, url),
    };
    let (authority, path) = if url.contains("://") {
        match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        }
    } else {
        (":80", rest)
    };
    req.set_method(&Method::Post).map_err(|()| "bad method".to_string())?;
    req.set_scheme(Some(&scheme)).map_err(|()| "bad scheme".to_string())?;
    req.set_authority(Some(authority)).map_err(|()| format!("bad authority {authority}"))?;
    req.set_path_with_query(Some(path)).map_err(|()| format!("bad path {path}"))?;
    Ok(())
}

async fn respond(out: ResponseOutparam, status: u16, body: Vec<u8>) {
    let response = OutgoingResponse::new(Fields::new());
    let _ = response.set_status_code(status);
    let _ = out.set_with_body(response, body).await;
}

/// The percent-decoded value of `name` in a query string.
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
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
