//! The linker shared by every component of every app.

use wasmtime::component::{Component, Linker};
use wasmtime::Engine;
use wasmtime_wasi_http::{Error as HttpError, WasiBody, WasiHttpHooks};

use crate::HostState;

/// Interface namespaces the base linker implements natively; everything else
/// a component imports is linked by [`crate::unavailable`].
const NATIVE_PACKAGES: &[&str] = &[
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
    "wasi:http/",
];

/// Builds the base linker: WASI 0.2 plus `wasi:http`.
pub fn base_linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Ok(linker)
}

/// A linker for one component: the base linker plus stand-ins for every
/// imported interface the base does not implement. Returns the names of the
/// interfaces linked as unavailable (for the startup log).
pub fn component_linker(
    base: &Linker<HostState>,
    component: &Component,
) -> wasmtime::Result<(Linker<HostState>, Vec<String>)> {
    let mut linker = base.clone();
    let engine = component.engine().clone();
    let mut stubbed = Vec::new();
    for (name, item) in component.component_type().imports(&engine) {
        if is_native(name) {
            continue;
        }
        crate::unavailable::link_import(&mut linker, &engine, name, &item.ty)?;
        stubbed.push(name.to_string());
    }
    Ok((linker, stubbed))
}

/// Whether the base linker provides this import natively. Only the stable
/// 0.2 line is; release candidates are linked as unavailable.
fn is_native(import: &str) -> bool {
    NATIVE_PACKAGES.iter().any(|p| import.starts_with(p))
        && import
            .rsplit_once('@')
            .is_some_and(|(_, version)| version.starts_with("0.2.") && !version.contains('-'))
}

/// `wasi:http` hooks that refuse every outbound request: no component has been
/// granted network access yet (`allowed_outbound_hosts` arrives with the
/// outbound capability).
pub struct DenyOutboundHttp;

impl WasiHttpHooks for DenyOutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn std::future::Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
                    ),
                    HttpError,
                >,
            > + Send,
    > {
        tracing::debug!(uri = %request.uri(), "outbound HTTP denied: no allowed_outbound_hosts");
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

#[cfg(test)]
mod tests {
    use super::is_native;

    #[test]
    fn native_interfaces_are_the_stable_wasi_02_line() {
        assert!(is_native("wasi:io/streams@0.2.0"));
        assert!(is_native("wasi:http/types@0.2.3"));
        assert!(!is_native("wasi:http/types@0.2.0-rc-2023-11-10"));
        assert!(!is_native("wasi:keyvalue/store@0.2.0-draft2"));
        assert!(!is_native("fermyon:spin/key-value@2.0.0"));
        assert!(!is_native("wasi:config/store@0.2.0-draft-2024-09-27"));
    }
}
