//! The contract between `serve` and the triggers it runs.
//!
//! `serve` builds what every trigger shares once — engine, base linker,
//! the app's capabilities, log options, instance limits — hands it to each
//! [`TriggerFactory`] whose trigger type the app uses, and runs the
//! resulting [`Trigger`]s side by side until one [`StopSignal`] tells them
//! all to drain. A new trigger type is a crate with a factory and one entry
//! in serve's list; nothing else in serve changes.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use kiln_app::App;
use kiln_engine::{InstanceLimits, KilnEngine};
use kiln_world::{AppCapabilities, HostState};
use wasmtime::component::Linker;

use crate::LogOptions;

/// A boxed, sendable future, as trait methods return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a trigger could not start or stopped serving; its `Display` is the
/// whole message an operator sees.
pub type TriggerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a trigger is prepared from, built once by `serve` for all of
/// them.
pub struct TriggerContext<'a> {
    /// The app, its components resolved.
    pub app: &'a App,
    /// The engine components are compiled for.
    pub engine: &'a KilnEngine,
    /// The linker every component is pre-linked against (see
    /// `kiln_world::linker::base_linker`).
    pub linker: &'a Linker<HostState>,
    /// The app's capabilities; each component gets the share its manifest
    /// entry grants.
    pub caps: &'a AppCapabilities,
    /// Where component output goes.
    pub logs: &'a LogOptions,
    /// Memory cap and run-time limit of every instance.
    pub limits: InstanceLimits,
}

impl TriggerContext<'_> {
    /// Creates the log folder, if output goes to files, so that every
    /// component's log files can be opened in it.
    pub fn create_log_dir(&self) -> Result<(), crate::PrepareError> {
        let Some(dir) = &self.logs.dir else { return Ok(()) };
        std::fs::create_dir_all(dir).map_err(|source| crate::PrepareError::Logs {
            id: "*".into(),
            source: std::io::Error::new(source.kind(), format!("{}: {source}", dir.display())),
        })
    }
}

/// A trigger type `serve` knows how to run: `http`, `redis`, ….
pub trait TriggerFactory: Send + Sync {
    /// The manifest's name for the trigger type (`[[trigger.<kind>]]`).
    fn kind(&self) -> &'static str;

    /// Whether `app` declares triggers of this type.
    fn is_used_by(&self, app: &App) -> bool;

    /// Compiles and pre-links the components this trigger type serves and
    /// acquires what it listens on (a socket, a subscription), so that a
    /// broken app fails here, before anything is served.
    fn prepare<'a>(&'a self, ctx: &'a TriggerContext<'a>) -> BoxFuture<'a, Result<Box<dyn Trigger>, TriggerError>>;
}

/// A prepared trigger, ready to serve.
pub trait Trigger: Send {
    /// Writes what it serves (routes, subscriptions) for the operator.
    fn announce(&self, out: &mut dyn Write) -> std::io::Result<()>;

    /// Serves until `stop` fires, then stops taking work and gives what is
    /// running up to `drain` to finish.
    fn run(self: Box<Self>, stop: StopSignal, drain: Duration) -> BoxFuture<'static, Result<(), TriggerError>>;
}

/// One stop signal many triggers wait on.
#[derive(Clone)]
pub struct StopSignal(tokio::sync::watch::Receiver<bool>);

impl StopSignal {
    /// A signal that fires when `stop` resolves (it is polled on a task of
    /// its own).
    pub fn new(stop: impl Future<Output = ()> + Send + 'static) -> Self {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = tx.send(true);
        });
        Self(rx)
    }

    /// Resolves once the signal has fired (at once if it has already).
    pub async fn stopped(mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}
