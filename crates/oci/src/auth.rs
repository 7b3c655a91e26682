//! Registry credentials.
//!
//! `kiln registry login` writes Kiln's own file,
//! `$XDG_CONFIG_HOME/kiln/registry-auth.json` (else
//! `~/.config/kiln/registry-auth.json`), in the Docker config format
//! (`{"auths": {"<registry>": {"auth": "<base64 user:password>"}}}`), so the
//! same lines work in either file. Lookups try that file, then Docker's
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), then fall
//! back to anonymous access.
//!
//! Docker's file is read as Docker reads it: a registry in `credHelpers`
//! asks that credential helper, else a `credsStore` asks the store's
//! helper, else the `auths` entry counts. A helper is the program
//! `docker-credential-<name>` on `PATH`, run as `get` with the server on
//! standard input and answering `{"Username": …, "Secret": …}`, so
//! `docker login` through the desktop keychain, `pass` or a cloud helper
//! (`ecr-login`, `gcloud`) works for Kiln too.

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

/// Credentials for `registry`: Kiln's file first, then Docker's (its
/// credential helpers, then its `auths`).
pub fn lookup(registry: &str) -> Result<Option<Credentials>, OciError> {
    if let Some(found) = find(&kiln_config_path(), registry)? {
        return Ok(Some(found));
    }
    let Some(path) = docker_config_path() else { return Ok(None) };
    let Some(file) = read(&path)? else { return Ok(None) };
    if let Some(helper) = helper_for(&file, registry) {
        let program = format!("docker-credential-{helper}");
        return helper_get(Path::new(&program), &helper_server(registry), &path);
    }
    find(&path, registry)
}

/// The credential helper Docker's config names for `registry`: its
/// `credHelpers` entry, else the `credsStore`.
fn helper_for(file: &ConfigFile, registry: &str) -> Option<String> {
    let wanted = normalise(registry);
    let named = |value: &serde_json::Value| value.as_str().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_string());
    let per_registry = file.rest.get("credHelpers").and_then(|helpers| helpers.as_object()).and_then(|helpers| {
        helpers.iter().find(|(k, _)| normalise(k) == wanted).and_then(|(_, v)| named(v))
    });
    per_registry.or_else(|| file.rest.get("credsStore").and_then(named))
}

/// The server name helpers are asked for: Docker Hub under its historical
/// URL (as `docker login` stores it), any other registry as its host.
fn helper_server(registry: &str) -> String {
    match normalise(registry).as_str() {
        "docker.io" => "https://index.docker.io/v1/".into(),
        host => host.into(),
    }
}

/// What a helper answers to `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Runs `program get` with `server` on standard input. A helper that has
/// nothing for the server says so and exits non-zero: that is no
/// credentials, not an error. A helper that cannot be run, or answers
/// nonsense, is an error naming it and the config file that chose it.
fn helper_get(program: &Path, server: &str, config: &Path) -> Result<Option<Credentials>, OciError> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bad = |message: String| OciError::Credentials {
        path: config.to_path_buf(),
        message: format!("credential helper {}: {message}", program.display()),
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| bad(format!("cannot run it ({e})")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its answer.
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child.wait_with_output().map_err(|e| bad(e.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout);
        let said = said.trim();
        tracing::debug!(helper = %program.display(), server, said, "credential helper has no credentials");
        return Ok(None);
    }
    let answer: HelperAnswer =
        serde_json::from_slice(&output.stdout).map_err(|e| bad(format!("unreadable answer ({e})")))?;
    if answer.username.is_empty() && answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials { username: answer.username, password: answer.secret }))
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

    fn config(json: &str) -> ConfigFile {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn cred_helpers_win_over_the_store_and_the_store_over_auths() {
        let file = config(
            r#"{"auths": {"r.io": {}}, "credsStore": "desktop",
                "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login", "https://Gcr.io": "gcloud"}}"#,
        );
        assert_eq!(helper_for(&file, "123.dkr.ecr.us-east-1.amazonaws.com").as_deref(), Some("ecr-login"));
        assert_eq!(helper_for(&file, "gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(helper_for(&file, "r.io").as_deref(), Some("desktop"));
        assert_eq!(helper_for(&config(r#"{"auths": {}}"#), "r.io"), None);
        assert_eq!(helper_for(&config(r#"{"credsStore": ""}"#), "r.io"), None);
        assert_eq!(helper_server("docker.io"), "https://index.docker.io/v1/");
        assert_eq!(helper_server("localhost:5000"), "localhost:5000");
    }

    /// A helper script answering for one server, as `docker-credential-*`
    /// programs do.
    #[cfg(unix)]
    fn helper(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("docker-credential-test");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn helpers_are_asked_with_the_server_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        let script = helper(
            dir.path(),
            r#"[ "$1" = get ] || exit 3
read server
if [ "$server" = "r.io" ]; then echo '{"ServerURL": "r.io", "Username": "carol", "Secret": "pa:ss"}'; exit 0; fi
echo "credentials not found in native keychain"; exit 1"#,
        );
        let found = helper_get(&script, "r.io", &config).unwrap().unwrap();
        assert_eq!((found.username.as_str(), found.password.as_str()), ("carol", "pa:ss"));
        assert!(helper_get(&script, "other.io", &config).unwrap().is_none(), "not found is no credentials");
        let garbled = helper(dir.path(), "echo not json");
        let err = helper_get(&garbled, "r.io", &config).unwrap_err().to_string();
        assert!(err.contains("config.json") && err.contains("docker-credential-test") && err.contains("unreadable"), "{err}");
        let missing = helper_get(&dir.path().join("docker-credential-absent"), "r.io", &config).unwrap_err().to_string();
        assert!(missing.contains("cannot run it"), "{missing}");
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
