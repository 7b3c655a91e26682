//! Routing one request (from a client or, in-process, from a guest) to its
//! handler and running it; the host's own routes are answered here. Kept
//! apart from the front end so the in-process dispatcher and the server do
//! not import one another.

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;

use crate::body::{self, Body, RequestBody};
use crate::limits;
use crate::prepare::{Handler, HttpTrigger};
use crate::routes::RouteMatch;
use crate::wagi::WagiRequest;
use crate::{cgi, spin_headers};

/// Reserved health-check route, answered by the host for every app.
pub const HEALTH_ROUTE: &str = "/.well-known/spin/health";
/// Reserved info route, answered by the host for every app.
pub const INFO_ROUTE: &str = "/.well-known/spin/info";

/// Routes a request (from a client, or from a guest in-process) by path and
/// runs its handler.
pub(crate) async fn route_request(
    trigger: &HttpTrigger,
    request: Request<RequestBody>,
    client: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    let path = request.uri().path().to_string();
    if path == HEALTH_ROUTE {
        return body::text(StatusCode::OK, "OK");
    }
    if path == INFO_ROUTE {
        return info(trigger);
    }
    let Some(matched) = trigger.router.route(&path) else {
        return body::text(StatusCode::NOT_FOUND, "Not Found\n");
    };
    let authority = authority(&request, local);
    let buffered = matches!(matched.handler, Handler::SpinInbound(_) | Handler::Wagi(_));
    let body_limit = trigger.limits().body_limit(buffered);
    if let Some(too_large) = limits::check_content_length(request.headers(), body_limit) {
        return too_large;
    }
    let (request, exceeded) = match body_limit {
        Some(limit) => {
            let (parts, body) = request.into_parts();
            let (body, exceeded) = limits::limit_body(body, limit);
            (Request::from_parts(parts, body), Some(exceeded))
        }
        None => (request, None),
    };
    let response = run_handler(trigger, request, &matched, &authority, client, local).await;
    // Whatever the guest made of its failed body read, the client sent too much.
    if exceeded.is_some_and(|e| e.load(std::sync::atomic::Ordering::Relaxed)) {
        tracing::debug!(path, "request body over the limit; answering 413");
        return limits::too_large();
    }
    response
}

async fn run_handler(
    trigger: &HttpTrigger,
    mut request: Request<RequestBody>,
    matched: &RouteMatch<'_, Handler>,
    authority: &str,
    client: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    match matched.handler {
        Handler::Static(response) => static_response(response),
        Handler::WasiHttp(handler) => {
            add_spin_context(&mut request, matched, authority, client);
            handler.handle(request).await
        }
        Handler::WasiHttpP3(handler) => {
            add_spin_context(&mut request, matched, authority, client);
            handler.handle(request).await
        }
        Handler::SpinInbound(handler) => {
            add_spin_context(&mut request, matched, authority, client);
            handler.handle(request).await
        }
        Handler::Wagi(handler) => {
            let max_output = trigger.limits().max_buffered_bytes;
            wagi(handler, request, matched, authority, client, local, max_output).await
        }
    }
}

/// Adds the `spin-*` headers and makes the URI absolute (component
/// executors see the URL the client used; HTTP/1.1 requests carry only the path).
fn add_spin_context(
    request: &mut Request<RequestBody>,
    matched: &RouteMatch<'_, Handler>,
    authority: &str,
    client: SocketAddr,
) {
    let full_url = full_url(authority, request.uri());
    let headers = spin_headers::spin_headers(&spin_headers::SpinRequestInfo {
        full_url: &full_url,
        matched_route: matched.pattern.as_str(),
        component_route: &matched.pattern.component_route(),
        path_info: &matched.path_info,
        params: &matched.params,
        client_addr: client,
        base_path: "/",
    });
    for (name, value) in headers {
        request.headers_mut().insert(name, value);
    }
    if let Ok(uri) = full_url.parse() {
        *request.uri_mut() = uri;
    }
}

async fn wagi(
    handler: &crate::wagi::WagiHandler,
    request: Request<RequestBody>,
    matched: &RouteMatch<'_, Handler>,
    authority: &str,
    client: SocketAddr,
    local: SocketAddr,
    max_output: usize,
) -> Response<Body> {
    let (parts, incoming) = request.into_parts();
    let body = match incoming.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            tracing::debug!(component = %handler.id(), "client body failed: {err}");
            return body::text(StatusCode::BAD_REQUEST, "Bad Request\n");
        }
    };
    let full_url = full_url(authority, &parts.uri);
    let component_route = matched.pattern.component_route();
    let (server_name, server_port) = split_authority(authority, local);
    let env = cgi::build_env(&cgi::CgiRequest {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        client_addr: client,
        server_name: &server_name,
        server_port,
        server_protocol: protocol(parts.version),
        server_software: concat!("Kiln/", env!("CARGO_PKG_VERSION")),
        full_url: &full_url,
        matched_route: matched.pattern.as_str(),
        component_route: &component_route,
        path_info: &matched.path_info,
        base_path: "/",
        content_length: body.len() as u64,
    });
    let query = parts.uri.query().unwrap_or("").to_string();
    handler
        .handle(WagiRequest { env, script_name: component_route, query, body, max_output })
        .await
}

fn protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// The authority the client addressed: the URI's (HTTP/2), the `Host`
/// header (HTTP/1.1), or the listening address.
fn authority(request: &Request<RequestBody>, local: SocketAddr) -> String {
    request
        .uri()
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| h.parse::<http::uri::Authority>().is_ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| local.to_string())
}

fn split_authority(authority: &str, local: SocketAddr) -> (String, u16) {
    match authority.parse::<http::uri::Authority>() {
        Ok(a) => (a.host().to_string(), a.port_u16().unwrap_or(local.port())),
        Err(_) => (local.ip().to_string(), local.port()),
    }
}

fn full_url(authority: &str, uri: &http::Uri) -> String {
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    format!("http://{authority}{path_and_query}")
}

fn static_response(response: &kiln_app::manifest::StaticResponse) -> Response<Body> {
    let mut out = Response::new(body::full(response.body.clone().unwrap_or_default()));
    *out.status_mut() = StatusCode::from_u16(response.status_code).unwrap_or(StatusCode::OK);
    for (name, value) in &response.headers {
        match (http::HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            (Ok(name), Ok(value)) => {
                out.headers_mut().append(name, value);
            }
            _ => tracing::warn!(header = %name, "static response header is not a valid header; skipped"),
        }
    }
    out
}

fn info(trigger: &HttpTrigger) -> Response<Body> {
    let json = format!(
        "{{\"name\":\"kiln\",\"version\":\"{}\",\"app\":{}}}",
        env!("CARGO_PKG_VERSION"),
        json_string(&trigger.app_name)
    );
    let mut response = Response::new(body::full(json));
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
