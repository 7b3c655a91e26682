//! Registry credentials.
//!
//! `kiln registry login` writes Kiln's own file,
//! `$XDG_CONFIG_HOME/kiln/registry-auth.json` (else
//! `~/.config/kiln/registry-auth.json`), in the Docker config format
//! (`{"auths": {"<registry>": {"auth": "<base64 user:password>"}}}`), so the
//! same lines work in either file. Lookups try that file, then Docker's
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), then fall
//! back to anonymous access.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use serde::{Deserialize, Serialize};

use crate::OciError;

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or access token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    // Other Docker settings (credsStore, …) are kept when Kiln rewrites its file.
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuthEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

/// Kiln's credentials file.
pub fn kiln_config_path() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kiln")
        .join("registry-auth.json")
}

/// Docker's config file.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(Path::new(&dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker").join("config.json"))
}

/// `https://index.docker.io/v1/` and `docker.io` name the same registry;
/// keys are compared by host (and port) only.
fn normalise(server: &str) -> String {
    let s = server.trim();
    let s = s.split_once("://").map(|(_, rest)| rest).unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".into(),
        _ => host,
    }
}

fn read(path: &Path) -> Result<Option<ConfigFile>, OciError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(OciError::Io { path: path.to_path_buf(), source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| OciError::Credentials { path: path.to_path_buf(), message: e.to_string() })
}

fn find(path: &Path, registry: &str) -> Result<Option<Credentials>, OciError> {
    let Some(file) = read(path)? else { return Ok(None) };
    let wanted = normalise(registry);
    let Some(entry) = file.auths.iter().find(|(k, _)| normalise(k) == wanted).map(|(_, v)| v) else {
        return Ok(None);
    };
    let bad = |message: &str| OciError::Credentials { path: path.to_path_buf(), message: format!("auths.{registry}: {message}") };
    if let Some(auth) = &entry.auth {
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).map_err(|_| bad("`auth` is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("`auth` is not UTF-8"))?;
        let (user, pass) = text.split_once(':').ok_or_else(|| bad("`auth` is not `user:password`"))?;
        return Ok(Some(Credentials { username: user.into(), password: pass.into() }));
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) => Ok(Some(Credentials { username: u.clone(), password: p.clone() })),
        _ => Ok(None),
    }
}

/// Credentials for `registry`: Kiln's file first, then Docker's.
pub fn lookup(registry: &str) -> Result<Option<Credentials>, OciError> {
    if let Some(found) = find(&kiln_config_path(), registry)? {
        return Ok(Some(found));
    }
    match docker_config_path() {
        Some(path) => find(&path, registry),
        None => Ok(None),
    }
}

/// The auth to present to `registry`.
pub fn registry_auth(registry: &str) -> Result<RegistryAuth, OciError> {
    Ok(match lookup(registry)? {
        Some(c) => RegistryAuth::Basic(c.username, c.password),
        None => RegistryAuth::Anonymous,
    })
}

/// Stores credentials for `registry` in Kiln's file (mode 0600).
pub fn store(registry: &str, credentials: &Credentials) -> Result<PathBuf, OciError> {
    let path = kiln_config_path();
    let mut file = read(&path)?.unwrap_or_default();
    let key = normalise(registry);
    file.auths.retain(|k, _| normalise(k) != key);
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.username, credentials.password));
    file.auths.insert(key, AuthEntry { auth: Some(auth), ..AuthEntry::default() });
    let io = |source| OciError::Io { path: path.clone(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let text = serde_json::to_vec_pretty(&file).map_err(|e| OciError::Credentials { path: path.clone(), message: e.to_string() })?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    write_private(&tmp, &text).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(path)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_names_are_one_registry() {
        assert_eq!(normalise("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalise("docker.io"), "docker.io");
        assert_eq!(normalise("localhost:5000"), "localhost:5000");
        assert_eq!(normalise("http://LocalHost:5000/v2/"), "localhost:5000");
    }

    #[test]
    fn reads_auth_and_username_password_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        std::fs::write(
            &path,
            format!(r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}},
                "ghcr.io": {{"username": "bob", "password": "tok"}}}}, "credsStore": "desktop"}}"#),
        )
        .unwrap();
        let hub = find(&path, "docker.io").unwrap().unwrap();
        assert_eq!((hub.username.as_str(), hub.password.as_str()), ("alice", "s3:cret"));
        let gh = find(&path, "ghcr.io").unwrap().unwrap();
        assert_eq!(gh.username, "bob");
        assert!(find(&path, "quay.io").unwrap().is_none());
    }

    #[test]
    fn malformed_auth_names_the_file_and_registry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"auths": {"r.io": {"auth": "!!!"}}}"#).unwrap();
        let err = find(&path, "r.io").unwrap_err().to_string();
        assert!(err.contains("config.json") && err.contains("auths.r.io") && err.contains("base64"), "{err}");
    }
}
