//! The lazy per-label manager key-value stores and SQLite databases share.
//!
//! An app names its stores by label (`default`, `cache`, ...) in the
//! runtime configuration; a component may open only the labels its manifest
//! lists. [`LabelManager`] holds each label's backend description and opens
//! it on first use (a failed open is tried again next time);
//! [`SharedFiles`] lets labels naming the same file, however spelt, share one
//! open database; [`Grants`] is one component's list of allowed labels and [`Granted`]
//! a manager seen through them.
//!
//! It knows no backend: what a backend is and how it opens is the caller's
//! (the `kiln-key-value` and `kiln-sqlite` managers), and it has no error
//! type of its own, so each caller keeps its errors and messages.

mod files;
mod grants;
mod manager;

pub use files::{file_identity, SharedFiles};
pub use grants::{Granted, Grants};
pub use manager::LabelManager;
