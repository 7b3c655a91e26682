//! Developer tooling for Kiln applications, behind `kiln build`, `kiln watch`
//! and `kiln doctor`.
//!
//! - [`locate`] finds the manifest a `-f` argument names.
//! - [`run`] runs components' `[component.<id>.build]` commands, streaming
//!   their output with the component id in front of every line.
//! - [`plan`] decides what a set of changed files means: rebuild which
//!   components, restart serving, or nothing.
//! - [`watcher`] watches the files a plan names and drives rebuilds and
//!   restarts of a serving child process.
//! - [`doctor`] finds common problems and explains how to fix them.

pub mod doctor;
pub mod locate;
pub mod plan;
pub mod run;
mod shell;
pub mod watcher;

pub use locate::{manifest_path, LocateError};
pub use run::{build, BuildError};
