//! The HTTP trigger as `serve` runs it: [`HttpTriggerFactory`] prepares the
//! components and binds the listener; the prepared trigger announces its
//! routes and serves until stopped.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kiln_app::App;
use kiln_instance::{BoxFuture, StopSignal, Trigger, TriggerContext, TriggerError, TriggerFactory};
use tokio::net::TcpListener;

use crate::limits::HttpLimits;
use crate::prepare::HttpTrigger;
use crate::reuse::InstanceReuse;
use crate::server::ServeOptions;

/// `[[trigger.http]]`: serves the app's routes on one address.
pub struct HttpTriggerFactory {
    listen: SocketAddr,
    limits: HttpLimits,
    reuse: InstanceReuse,
}

impl HttpTriggerFactory {
    /// Serves on `listen` (port 0 picks a free port) within `limits`,
    /// reusing Preview 3 instances as `reuse` says.
    pub fn new(listen: SocketAddr, limits: HttpLimits, reuse: InstanceReuse) -> Self {
        Self { listen, limits, reuse }
    }
}

impl TriggerFactory for HttpTriggerFactory {
    fn kind(&self) -> &'static str {
        "http"
    }

    fn is_used_by(&self, app: &App) -> bool {
        !app.http_triggers().is_empty()
    }

    fn prepare<'a>(&'a self, ctx: &'a TriggerContext<'a>) -> BoxFuture<'a, Result<Box<dyn Trigger>, TriggerError>> {
        Box::pin(async move {
            let trigger = HttpTrigger::prepare(ctx, self.limits.clone(), self.reuse)?;
            let listener = TcpListener::bind(self.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", self.listen))?;
            let addr = listener.local_addr()?;
            Ok(Box::new(Listening { trigger: Arc::new(trigger), listener, addr }) as Box<dyn Trigger>)
        })
    }
}

/// A prepared HTTP trigger and its bound listener.
struct Listening {
    trigger: Arc<HttpTrigger>,
    listener: TcpListener,
    addr: SocketAddr,
}

impl Trigger for Listening {
    /// `Serving http://ADDR`, then each route and what serves it, as
    /// `spin up` prints them (tests and scripts read the address here).
    fn announce(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let addr = self.addr;
        writeln!(out, "Serving http://{addr}")?;
        writeln!(out, "Available Routes:")?;
        for (route, target) in self.trigger.routes() {
            let (path, wildcard) = match route.strip_suffix("/...") {
                Some(prefix) => (if prefix.is_empty() { "/" } else { prefix }.to_string(), " (wildcard)"),
                None => (route.clone(), ""),
            };
            writeln!(out, "  {target}: http://{addr}{path}{wildcard}")?;
        }
        Ok(())
    }

    fn run(self: Box<Self>, stop: StopSignal, drain: Duration) -> BoxFuture<'static, Result<(), TriggerError>> {
        Box::pin(async move {
            crate::serve(self.trigger, self.listener, stop.stopped(), ServeOptions { drain_timeout: drain }).await?;
            Ok(())
        })
    }
}
