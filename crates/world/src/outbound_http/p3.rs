//! Kiln's own `send` in front of wasmtime-wasi-http's Preview 3
//! `wasi:http/client`: wasmtime turns a guest's request into an
//! `http::Request` before any hook runs, and a request without an authority
//! (a relative URL, `fetch("/other-route")`) cannot become one (an `http`
//! URI with a scheme needs an authority), so it would fail with
//! `HTTP-request-URI-invalid` before Kiln could serve it in-process. Kiln's
//! `send` gives such a request the empty-host authority the Preview 2 Spin
//! SDK sends for relative URLs (`:80`), which the hooks route to the app
//! itself, then hands it to wasmtime's `send`.

use wasmtime::component::Linker;
use wasmtime_wasi_http::WasiHttpView;

use crate::HostState;

/// Defines `wasi:http/client@0.3.x` `send` in `linker` over wasmtime's
/// (which must be linked already; this one shadows it), so that relative
/// URLs reach the app itself.
pub(super) fn add_client(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi_http::p3::bindings::http::client;
    linker.allow_shadowing(true);
    let result = client::add_to_linker::<HostState, KilnP3Client>(linker, <HostState as WasiHttpView>::http);
    linker.allow_shadowing(false);
    result
}

/// The authority given to a Preview 3 request that has none: an empty host,
/// which the outbound hooks take for the app itself (as they do the Preview
/// 2 SDK's relative URLs).
const RELATIVE_AUTHORITY: &str = ":80";

/// Kiln's `wasi:http/client` for Preview 3 guests: fills in the authority of
/// relative requests, then sends as wasmtime does.
struct KilnP3Client;

impl wasmtime::component::HasData for KilnP3Client {
    type Data<'a> = wasmtime_wasi_http::WasiHttpCtxView<'a>;
}

impl wasmtime_wasi_http::p3::bindings::http::client::HostWithStore<HostState> for KilnP3Client {
    async fn send(
        store: &wasmtime::component::Accessor<HostState, Self>,
        req: wasmtime::component::Resource<wasmtime_wasi_http::p3::Request>,
    ) -> Result<
        wasmtime::component::Resource<wasmtime_wasi_http::p3::Response>,
        wasmtime_wasi::TrappableError<wasmtime_wasi_http::p3::bindings::http::types::ErrorCode>,
    > {
        store.with(|mut access| {
            let view = access.get();
            // A request the table does not hold is wasmtime's to report.
            if let Ok(request) = view.table.get_mut(&req) {
                if request.authority.is_none() {
                    match http::uri::Authority::try_from(RELATIVE_AUTHORITY) {
                        Ok(authority) => request.authority = Some(authority),
                        Err(err) => tracing::error!("placeholder authority {RELATIVE_AUTHORITY}: {err}"),
                    }
                }
            }
        });
        let wasmtime_send = store.with_getter::<wasmtime_wasi_http::WasiHttp>(<HostState as WasiHttpView>::http);
        <wasmtime_wasi_http::WasiHttp as wasmtime_wasi_http::p3::bindings::http::client::HostWithStore<HostState>>::send(
            &wasmtime_send,
            req,
        )
        .await
    }
}

