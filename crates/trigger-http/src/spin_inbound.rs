//! The Spin 1 executor: components exporting `fermyon:spin/inbound-http`
//! receive the whole request as a record and return the whole response.

use http_body_util::BodyExt;
use kiln_instance::InstanceSettings;
use kiln_world::spin_inbound::{InboundHttpGuestPre, Method, Request, Response};
use kiln_world::HostState;
use wasmtime::component::{Component, Linker};

use crate::body::{self, Body};

/// The export this executor calls.
pub const EXPORT: &str = "fermyon:spin/inbound-http";

/// A compiled, pre-linked Spin 1 HTTP component.
pub struct SpinInboundHandler {
    pre: InboundHttpGuestPre<HostState>,
    pub(crate) settings: InstanceSettings,
}

impl SpinInboundHandler {
    /// Whether `component` exports the Spin 1 handler.
    pub fn is_exported_by(engine: &wasmtime::Engine, component: &Component) -> bool {
        component.component_type().get_export(engine, EXPORT).is_some()
    }

    /// Pre-links a compiled component.
    pub(crate) fn new(
        base: &Linker<HostState>,
        component: &Component,
        settings: InstanceSettings,
    ) -> Result<Self, String> {
        let pre = InboundHttpGuestPre::new(settings.prelink(base, component)?)
            .map_err(|e| format!("{EXPORT} has an unexpected type: {e:#}"))?;
        Ok(Self { pre, settings })
    }

    /// Runs one request in a fresh instance.
    pub async fn handle(&self, request: http::Request<crate::body::RequestBody>) -> http::Response<Body> {
        let Some(method) = method(request.method()) else {
            return body::text(http::StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
        };
        let (parts, incoming) = request.into_parts();
        let bytes = match incoming.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                tracing::debug!(component = %self.settings.id, "client body failed: {err}");
                return body::text(http::StatusCode::BAD_REQUEST, "Bad Request\n");
            }
        };
        let guest_request = Request {
            method,
            uri: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_else(|| "/".into()),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            params: Vec::new(),
            body: (!bytes.is_empty()).then(|| bytes.to_vec()),
        };
        match self.call(guest_request).await {
            Ok(response) => into_http(&self.settings.id, response),
            Err(err) => crate::limits::failure(&self.settings.id, &err),
        }
    }

    async fn call(&self, request: Request) -> wasmtime::Result<Response> {
        let (mut store, deadline) = self.settings.new_store_with_deadline(self.pre.engine())?;
        deadline
            .run(async {
                let guest = self.pre.instantiate_async(&mut store).await?;
                guest.fermyon_spin_inbound_http().call_handle_request(&mut store, &request).await
            })
            .await
    }
}

fn method(method: &http::Method) -> Option<Method> {
    Some(match *method {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        http::Method::PATCH => Method::Patch,
        http::Method::HEAD => Method::Head,
        http::Method::OPTIONS => Method::Options,
        _ => return None,
    })
}

/// Turns the guest's response record into an HTTP response; a status or
/// header HTTP cannot carry is the guest's fault: 500, logged.
fn into_http(id: &str, response: Response) -> http::Response<Body> {
    let fail = |what: String| {
        tracing::error!(component = %id, "invalid response from guest: {what}");
        body::text(http::StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
    };
    let Ok(status) = http::StatusCode::from_u16(response.status) else {
        return fail(format!("status {}", response.status));
    };
    let mut out = http::Response::new(body::full(response.body.unwrap_or_default()));
    *out.status_mut() = status;
    for (name, value) in response.headers.unwrap_or_default() {
        match (http::HeaderName::try_from(name.as_str()), http::HeaderValue::try_from(value.as_str())) {
            (Ok(name), Ok(_)) if body::is_host_managed(&name) => {}
            (Ok(name), Ok(value)) => {
                out.headers_mut().append(name, value);
            }
            _ => return fail(format!("header `{name}`")),
        }
    }
    out
}
