//! Kiln's trigger-neutral instance layer: what every trigger needs to turn a
//! component of an app into instances — its [`InstanceSettings`]
//! (environment, files, logs, granted capabilities, limits), store
//! construction with the deadline armed, pre-linking against the shared base
//! linker, [`LogOptions`] and the [`PrepareError`]s of startup — and the
//! [`Trigger`] contract by which `serve` prepares and runs any set of
//! triggers ([`TriggerFactory`], [`TriggerContext`], [`StopSignal`]).
//!
//! Triggers (HTTP, Redis, and later ones) depend on this crate and never on
//! one another. It refuses anything trigger-specific: no routes, no
//! executors, no channels, no servers.

mod error;
mod logs;
mod settings;
mod trigger;

pub use error::PrepareError;
pub use logs::LogOptions;
pub use settings::{instance_settings, read_source, InstanceSettings};
pub use trigger::{BoxFuture, StopSignal, Trigger, TriggerContext, TriggerError, TriggerFactory};
