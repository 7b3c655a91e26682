//! Errors, with the registry failures a user can act on told apart.

use std::path::PathBuf;

use oci_client::errors::{OciDistributionError, OciErrorCode};

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// The reference does not parse.
    #[error("invalid registry reference `{reference}`: {message}")]
    InvalidReference {
        /// What was given.
        reference: String,
        /// Why it is invalid.
        message: String,
    },
    /// No connection to the registry.
    #[error("cannot reach registry {registry}: {message} (is it running? for a plain-HTTP registry pass --insecure)")]
    Unreachable {
        /// The registry host.
        registry: String,
        /// The transport error.
        message: String,
    },
    /// The registry refused the credentials (or wanted some).
    #[error("registry {registry} answered unauthorized; log in with `kiln registry login {registry}`")]
    Unauthorized {
        /// The registry host.
        registry: String,
    },
    /// The tag or digest is not in the registry.
    #[error("{reference}: not found in the registry (manifest unknown)")]
    ManifestUnknown {
        /// The reference asked for.
        reference: String,
    },
    /// The artifact is not a Spin application.
    #[error("{reference} is not a Spin application: config media type `{media_type}` and no `{}` layer", crate::SPIN_APPLICATION_MEDIA_TYPE)]
    NotSpinApp {
        /// The reference pulled.
        reference: String,
        /// The config media type found.
        media_type: String,
    },
    /// A blob's bytes do not hash to its digest.
    #[error("blob {digest}: content does not match its digest (it hashes to {actual}); refusing it")]
    DigestMismatch {
        /// The digest the manifest gives.
        digest: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// A pulled app is not in the local cache.
    #[error("{0} is not in the local cache; pull it with `kiln registry pull {0}`")]
    NotCached(String),
    /// Any other registry answer.
    #[error("registry {registry}: {message}")]
    Registry {
        /// The registry host.
        registry: String,
        /// What it said.
        message: String,
    },
    /// The credentials file is unreadable or malformed.
    #[error("credentials file {path}: {message}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The app could not be loaded or rebuilt.
    #[error(transparent)]
    App(#[from] kiln_app::AppError),
    /// The locked app is invalid or not runnable here.
    #[error(transparent)]
    Locked(#[from] kiln_app::locked::LockedError),
}

impl OciError {
    /// Sorts an `oci-client` error into the variant a user can act on.
    pub(crate) fn from_oci(err: OciDistributionError, registry: &str, reference: &str) -> Self {
        let registry = registry.to_string();
        match err {
            // An HTTP status turned into a request error (`error_for_status`).
            OciDistributionError::RequestError(e) if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) => {
                Self::Unauthorized { registry }
            }
            OciDistributionError::RequestError(e) if e.status().is_some() => {
                Self::Registry { registry, message: e.to_string() }
            }
            OciDistributionError::RequestError(e) => {
                let mut message = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    message = format!("{message}: {s}");
                    source = s.source();
                }
                Self::Unreachable { registry, message }
            }
            OciDistributionError::AuthenticationFailure(_) | OciDistributionError::UnauthorizedError { .. } => {
                Self::Unauthorized { registry }
            }
            OciDistributionError::ImageManifestNotFoundError(_) => {
                Self::ManifestUnknown { reference: reference.to_string() }
            }
            OciDistributionError::ServerError { code: 404, .. } => {
                Self::ManifestUnknown { reference: reference.to_string() }
            }
            OciDistributionError::ServerError { code: 401 | 403, .. } => Self::Unauthorized { registry },
            OciDistributionError::RegistryError { envelope, .. } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                if codes.iter().any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied)) {
                    Self::Unauthorized { registry }
                } else if codes
                    .iter()
                    .any(|c| matches!(c, OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound))
                {
                    Self::ManifestUnknown { reference: reference.to_string() }
                } else {
                    let messages: Vec<String> =
                        envelope.errors.iter().map(|e| format!("{:?}: {}", e.code, e.message)).collect();
                    Self::Registry { registry, message: messages.join("; ") }
                }
            }
            other => Self::Registry { registry, message: other.to_string() },
        }
    }
}
