//! The WAGI executor: a core module run as a CGI program — request headers
//! in the environment, the body on stdin, a CGI response on stdout.

use std::sync::Arc;

use bytes::Bytes;
use kiln_app::manifest::WagiConfig;
use kiln_engine::KilnEngine;
use kiln_instance::InstanceSettings;
use wasmtime::{InstancePre, Linker, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use crate::body::{self, Body};
use crate::cgi;

/// Store data of a WAGI instance.
pub struct WagiState {
    wasi: WasiP1Ctx,
    limits: StoreLimits,
}

/// A compiled, pre-linked WAGI module.
pub struct WagiHandler {
    pre: InstancePre<WagiState>,
    config: WagiConfig,
    pub(crate) settings: InstanceSettings,
}

/// What the server knows about the request beyond the request itself.
pub struct WagiRequest {
    /// CGI variables computed by the server ([`cgi::build_env`]).
    pub env: Vec<(String, String)>,
    /// The component route (`SCRIPT_NAME`).
    pub script_name: String,
    /// The raw query string.
    pub query: String,
    /// The request body.
    pub body: Bytes,
    /// Most stdout the module may write (the host buffers all of it); a
    /// write beyond it fails in the guest.
    pub max_output: usize,
}

impl WagiHandler {
    /// Compiles a core module and pre-links it against WASI preview 1.
    pub(crate) fn new(
        engine: &KilnEngine,
        bytes: &[u8],
        config: WagiConfig,
        settings: InstanceSettings,
    ) -> Result<Self, String> {
        let module = engine.load_module(bytes).map_err(|e| format!("WAGI: {e}"))?;
        if module.get_export(&config.entrypoint).is_none() {
            return Err(format!(
                "WAGI module does not export its entrypoint `{}`",
                config.entrypoint
            ));
        }
        let mut linker: Linker<WagiState> = Linker::new(engine.wasmtime());
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut WagiState| &mut s.wasi)
            .map_err(|e| format!("{e:#}"))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| format!("cannot link WAGI module: {e:#}"))?;
        Ok(Self { pre, config, settings })
    }

    /// The id of the component.
    pub fn id(&self) -> &Arc<str> {
        &self.settings.id
    }

    /// Runs the module for one request.
    pub async fn handle(&self, request: WagiRequest) -> http::Response<Body> {
        let stdout = MemoryOutputPipe::new(request.max_output);
        if let Err(err) = self.run(request, stdout.clone()).await {
            return crate::limits::failure(&self.settings.id, &err.context("WAGI module failed"));
        }
        match cgi::parse_output(&stdout.contents()) {
            Ok(out) => {
                let mut response = http::Response::new(body::full(out.body));
                *response.status_mut() = out.status;
                *response.headers_mut() = out.headers;
                response
            }
            Err(err) => {
                tracing::error!(component = %self.settings.id, "WAGI module wrote malformed CGI output: {err}");
                body::text(http::StatusCode::BAD_GATEWAY, "Bad Gateway\n")
            }
        }
    }

    async fn run(&self, request: WagiRequest, stdout: MemoryOutputPipe) -> wasmtime::Result<()> {
        let argv = cgi::build_argv(&self.config.argv, &request.script_name, &request.query);
        let mut wasi = WasiCtxBuilder::new();
        self.settings.wasi(&mut wasi)?;
        // CGI variables win over manifest environment of the same name.
        wasi.envs(&request.env)
            .args(&argv)
            .stdin(MemoryInputPipe::new(request.body))
            .stdout(stdout);
        let state = WagiState {
            wasi: wasi.build_p1(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.settings.limits.max_memory)
                .trap_on_grow_failure(false)
                .build(),
        };
        let mut store = Store::new(self.pre.module().engine(), state);
        store.limiter(|s| &mut s.limits);
        let deadline = self.settings.limits.arm(&mut store);
        let result = deadline
            .run(async {
                let instance = self.pre.instantiate_async(&mut store).await?;
                let entry = instance.get_typed_func::<(), ()>(&mut store, &self.config.entrypoint)?;
                entry.call_async(&mut store, ()).await
            })
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(err) => match err.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => Ok(()),
                Some(I32Exit(code)) => Err(wasmtime::format_err!("module exited with code {code}")),
                None => Err(err),
            },
        }
    }
}

