//! TLS for PostgreSQL connections: rustls (ring) with the webpki roots, plus
//! a CA root the guest may supply (`connection-builder.set-ca-root`).
//!
//! The `sslmode` of an address means what it means to libpq:
//!
//! * `disable` — plain TCP.
//! * `prefer` (the default) — TLS when the server offers it, else plain.
//! * `require` — TLS or nothing.
//! * `verify-ca` — TLS, and the certificate must chain to a trusted root.
//! * `verify-full` — that, and it must name the host connected to.
//!
//! As in libpq, `prefer` and `require` encrypt without judging the
//! certificate, unless the guest supplied a CA root, which makes them check
//! the chain as `verify-ca` does. `tokio-postgres` parses only the first
//! three modes, so the `verify-*` ones are spelled `require` for it and the
//! check is done here, by [`Verifier`].

use std::borrow::Cow;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::Error;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verification {
    /// Nothing: the connection is encrypted, not authenticated (`prefer`,
    /// `require` without a CA root).
    EncryptOnly,
    /// The chain up to a trusted root (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// The TLS connector for one connection.
pub(crate) fn connector(verification: Verification, ca_root: Option<&str>) -> Result<MakeRustlsConnect, Error> {
    let verification = match (verification, ca_root) {
        // libpq: with a root certificate, `require` verifies the chain.
        (Verification::EncryptOnly, Some(_)) => Verification::Chain,
        (verification, _) => verification,
    };
    let config = config(verification, ca_root).map_err(Error::ConnectionFailed)?;
    Ok(MakeRustlsConnect::new(config))
}

/// Parses a CA root: one or more PEM certificates. Errors say what is wrong
/// with it, for the guest's `set-ca-root` call.
pub(crate) fn parse_ca_root(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Other(format!("invalid CA root certificate: {e}")))?;
    if certificates.is_empty() {
        return Err(Error::Other("invalid CA root certificate: no PEM `CERTIFICATE` block".into()));
    }
    Ok(certificates)
}

fn config(verification: Verification, ca_root: Option<&str>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
    if let Some(pem) = ca_root {
        for certificate in parse_ca_root(pem).map_err(|e| e.to_string())? {
            roots.add(certificate).map_err(|e| format!("invalid CA root certificate: {e}"))?;
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot configure TLS: {e}"))?;
    let verifier = Verifier { webpki, verification, algorithms: provider.signature_verification_algorithms };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Checks the server's certificate as far as the `sslmode` asks. The
/// handshake's signatures are always verified, so the session is bound to
/// the certificate's key whatever the mode.
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    verification: Verification,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.verification == Verification::EncryptOnly {
            return Ok(ServerCertVerified::assertion());
        }
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.verification == Verification::Chain => Ok(ServerCertVerified::assertion()),
            outcome => outcome,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `address` with libpq's `sslmode=verify-ca` / `verify-full` spelled
/// `require` for `tokio-postgres`, in both the URL and the `key=value`
/// forms, and the verification the address asks for.
pub(crate) fn split_sslmode(address: &str) -> (Cow<'_, str>, Verification) {
    const KEY: &str = "sslmode";
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    let mut verification = Verification::EncryptOnly;
    while let Some(found) = address[search..].find(KEY) {
        let start = search + found;
        search = start + KEY.len();
        let at_boundary =
            address[..start].chars().next_back().is_none_or(|c| c.is_whitespace() || c == '?' || c == '&');
        if !at_boundary {
            continue;
        }
        let Some(after_eq) = address[search..].trim_start().strip_prefix('=') else { continue };
        let value = after_eq.trim_start();
        let quoted = value.starts_with('\'');
        let mode_start = address.len() - value.len() + usize::from(quoted);
        let bare = &address[mode_start..];
        // A later `sslmode` overrides an earlier one, as in libpq.
        verification = Verification::EncryptOnly;
        for (mode, wanted) in [("verify-full", Verification::Full), ("verify-ca", Verification::Chain)] {
            let Some(tail) = bare.strip_prefix(mode) else { continue };
            if !tail.chars().next().is_none_or(|c| c.is_whitespace() || c == '&' || c == '\'' || c == '#') {
                continue;
            }
            out.push_str(&address[copied..mode_start]);
            out.push_str("require");
            copied = mode_start + mode.len();
            search = copied;
            verification = wanted;
            break;
        }
    }
    if copied == 0 {
        return (Cow::Borrowed(address), verification);
    }
    out.push_str(&address[copied..]);
    (Cow::Owned(out), verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_mean_require_plus_a_check_in_both_address_forms() {
        let cases = [
            ("postgres://u@h/db?sslmode=verify-full", "postgres://u@h/db?sslmode=require", Verification::Full),
            (
                "postgres://u@h/db?connect_timeout=3&sslmode=verify-ca&application_name=x",
                "postgres://u@h/db?connect_timeout=3&sslmode=require&application_name=x",
                Verification::Chain,
            ),
            ("host=h sslmode = verify-full user=u", "host=h sslmode = require user=u", Verification::Full),
            ("host=h sslmode='verify-ca'", "host=h sslmode='require'", Verification::Chain),
            ("host=h sslmode=verify-full sslmode=require", "host=h sslmode=require sslmode=require", Verification::EncryptOnly),
        ];
        for (address, rewritten, verification) in cases {
            let (out, got) = split_sslmode(address);
            assert_eq!((out.as_ref(), got), (rewritten, verification), "{address}");
        }
        for unchanged in [
            "postgres://u@h/db?sslmode=require",
            "postgres://u@h/db?sslmode=prefer",
            "host=h user=u",
            "host=h application_name=xsslmode=verify-full",
            "host=h sslmode=verify-fuller",
        ] {
            assert_eq!(split_sslmode(unchanged), (Cow::Borrowed(unchanged), Verification::EncryptOnly));
        }
    }

    #[test]
    fn ca_roots_must_be_pem_certificates() {
        assert!(matches!(parse_ca_root("not a certificate"), Err(Error::Other(m)) if m.contains("no PEM")));
        let broken = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(parse_ca_root(broken), Err(Error::Other(_))));
    }

    #[test]
    fn configurations_build_for_every_mode() {
        for verification in [Verification::EncryptOnly, Verification::Chain, Verification::Full] {
            assert!(connector(verification, None).is_ok(), "{verification:?}");
            let err = connector(verification, Some("junk")).err();
            assert!(matches!(err, Some(Error::ConnectionFailed(m)) if m.contains("CA root")), "{verification:?}");
        }
    }
}
