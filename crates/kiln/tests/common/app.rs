//! App folders for `kiln up`: the `spin.toml` text and the files it names.

use std::path::Path;

/// Writes an app folder: `spin.toml` with `manifest` and any extra files.
pub fn app_dir(manifest: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("spin.toml"), manifest).expect("write manifest");
    for (name, contents) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write file");
    }
    dir
}


/// `spin.toml` text for a test app, written table by table so the tests
/// state only what differs between their apps.
#[derive(Debug, Clone)]
pub struct Manifest(String);

impl Manifest {
    /// A version 2 manifest for the application `name`.
    pub fn new(name: &str) -> Self {
        Manifest(format!("spin_manifest_version = 2\n[application]\nname = \"{name}\"\n"))
    }

    /// Appends `toml` as it is, on lines of its own.
    pub fn raw(mut self, toml: &str) -> Self {
        if !self.0.ends_with('\n') {
            self.0.push('\n');
        }
        self.0.push_str(toml);
        self.0.push('\n');
        self
    }

    /// An HTTP trigger sending `route` to `component`.
    pub fn http(self, route: &str, component: &str) -> Self {
        self.raw(&format!("[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{component}\""))
    }

    /// An HTTP trigger making `component` private (reachable only from
    /// other components).
    pub fn private(self, component: &str) -> Self {
        self.raw(&format!("[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"{component}\""))
    }

    /// A Redis trigger sending messages on `channel` at `address` to
    /// `component`.
    pub fn redis(self, address: &str, channel: &str, component: &str) -> Self {
        self.raw(&format!(
            "[[trigger.redis]]\naddress = \"{address}\"\nchannel = \"{channel}\"\ncomponent = \"{component}\""
        ))
    }

    /// The `[component.<id>]` table: `source` and then the `lines` given
    /// (which may open sub-tables such as `[component.<id>.variables]`).
    pub fn component(self, id: &str, source: impl AsRef<Path>, lines: &str) -> Self {
        let source = source.as_ref().display();
        self.raw(&format!("[component.{id}]\nsource = \"{source}\"\n{lines}"))
    }

    /// A component built by `kiln build`: the `[component.<id>]` table
    /// with `source`, then `[component.<id>.build]` with the `build` lines.
    pub fn built(self, id: &str, source: impl AsRef<Path>, build: &str) -> Self {
        self.component(id, source, &format!("[component.{id}.build]\n{build}"))
    }

    /// The manifest text.
    pub fn toml(&self) -> String {
        self.0.clone()
    }
}

/// The most common test app: every path (`/...`) goes to the one
/// component `id`, built from `source`, with the extra component `lines`.
pub fn one_route_app(name: &str, id: &str, source: impl AsRef<Path>, lines: &str) -> String {
    Manifest::new(name).http("/...", id).component(id, source, lines).toml()
}

/// Two components from the same `wasm`: `front` serving every path (`/...`)
/// with the extra `front_lines`, and `back` on a private route.
pub fn front_and_private_app(name: &str, front: &str, back: &str, wasm: &Path, front_lines: &str) -> String {
    Manifest::new(name)
        .http("/...", front)
        .private(back)
        .component(front, wasm, front_lines)
        .component(back, wasm, "")
        .toml()
}

/// The component lines of the `spin_rust_redis_trigger` guest as
/// component `id`: it may reach `allowed` and pushes each message it gets
/// to `list` at `address`.
pub fn redis_subscriber(id: &str, allowed: &str, address: &str, list: &str) -> String {
    format!(
        "allowed_outbound_hosts = [\"{allowed}\"]\n\
         [component.{id}.variables]\naddress = \"{address}\"\nlist = \"{list}\""
    )
}

/// The component line granting the outbound `hosts`.
pub fn allowed_hosts<S: AsRef<str>>(hosts: &[S]) -> String {
    format!("allowed_outbound_hosts = [{}]", quoted_list(hosts))
}

/// `items` quoted and joined by `, `: the inside of a TOML string array.
pub fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|item| format!("\"{}\"", item.as_ref())).collect::<Vec<_>>().join(", ")
}
