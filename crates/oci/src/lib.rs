//! Kiln applications in OCI registries, in Spin's artifact format.
//!
//! An app is pushed as an OCI image manifest whose layers are each
//! component's Wasm (`application/vnd.wasm.content.layer.v1+wasm`), each
//! mounted file (`application/vnd.wasm.content.layer.v1+data`; files of at
//! most [`INLINE_MAX`] bytes are inlined in the locked app instead) and the
//! locked app JSON (`application/vnd.fermyon.spin.application.v1+config`),
//! with an OCI image config (`architecture: wasm`) labelled with the locked
//! app's digest — the layout `spin registry push` writes, so apps move
//! between Kiln and Spin, and containerd Wasm shims run them. Artifacts in
//! Spin 2's layout (locked app as the config blob) are read too.
//!
//! [`RegistryClient::push`] uploads only blobs the registry lacks;
//! [`RegistryClient::pull`] downloads into a content-addressed [`Cache`],
//! verifying every blob's sha256, and [`PulledApp::to_app`] turns the result
//! into a [`kiln_app::App`] that `kiln up` (or a containerd shim) serves.

mod auth;
mod cache;
mod client;
mod error;
mod progress;
pub mod reference;

pub use auth::{docker_config_path, kiln_config_path, lookup as lookup_credentials, Credentials};
pub use cache::{Cache, PullRecord};
pub use client::{ClientOptions, PulledApp, PushReport, RegistryClient};
pub use error::OciError;
pub use oci_client::Reference;

/// Media type of the locked-app layer (the config blob in Spin 2's layout).
pub const SPIN_APPLICATION_MEDIA_TYPE: &str = "application/vnd.fermyon.spin.application.v1+config";
/// Media type of a component's Wasm layer.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// Media type of a mounted file's layer.
pub const DATA_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+data";
/// Media type of Spin's archive layer (many files in one tarball); not read yet.
pub const ARCHIVE_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.bundle.v1.tar+gzip";
/// Files up to this size are inlined in the locked app rather than pushed
/// as layers (as Spin does: some registries refuse tiny blobs).
pub const INLINE_MAX: u64 = 128;

/// Locks `app` for pushing: hashes every component and mounted file.
/// Blocking. Keep `app` alive until the push is done: the blobs of mounted
/// files are its staged copies.
pub fn lock_app(app: &kiln_app::App) -> Result<kiln_app::locked::LockedBuild, OciError> {
    Ok(kiln_app::locked::lock(app, INLINE_MAX)?)
}
