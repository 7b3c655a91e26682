//! Kubernetes objects that run a Kiln application on nodes with the Kiln
//! containerd shim (`containerd-shim-kiln-v1`, RuntimeClass handler `kiln`).
//!
//! [`scaffold`] renders, as one multi-document YAML stream:
//! - a `RuntimeClass` named after the handler;
//! - a `ConfigMap` and a `Secret` holding the app's variables (non-secret and
//!   secret), fed to the pod as `SPIN_VARIABLE_*` environment variables;
//! - a `Deployment` with `runtimeClassName`, replicas, resource requests and
//!   limits, and readiness and liveness probes on the host-answered
//!   `/.well-known/spin/health` route;
//! - a `Service` in front of it.
//!
//! The app's variables come from its locked app (what `kiln registry pull`
//! reads), so a required variable shows up as a key to fill in.

mod yaml;

use std::collections::BTreeMap;

use kiln_app::locked::LockedVariable;

use yaml::quote;

/// The health route every Kiln (and Spin) app answers without a guest.
pub const HEALTH_PATH: &str = "/.well-known/spin/health";

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct ScaffoldOptions {
    /// Name of the Deployment, Service, ConfigMap and Secret (a DNS label).
    pub name: String,
    /// The app's image reference, as nodes will pull it.
    pub image: String,
    /// Pods to run.
    pub replicas: u32,
    /// RuntimeClass name and containerd runtime handler.
    pub runtime_class: String,
    /// Port the app listens on in the pod (`SPIN_HTTP_LISTEN_ADDR`).
    pub container_port: u16,
    /// Port the Service exposes.
    pub service_port: u16,
    /// CPU request and limit (Kubernetes quantities).
    pub cpu_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory request.
    pub memory_request: String,
    /// Memory limit.
    pub memory_limit: String,
    /// A Secret whose `runtime-config.toml` key is mounted at
    /// `/runtime-config.toml` (key-value, SQLite and variables backends).
    pub runtime_config_secret: Option<String>,
    /// The app's variables, by name.
    pub variables: BTreeMap<String, LockedVariable>,
}

impl ScaffoldOptions {
    /// Defaults for `image`: one replica, handler `kiln`, port 80, small
    /// resource requests, no variables.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            replicas: 1,
            runtime_class: "kiln".into(),
            container_port: 80,
            service_port: 80,
            cpu_request: "100m".into(),
            cpu_limit: "500m".into(),
            memory_request: "64Mi".into(),
            memory_limit: "256Mi".into(),
            runtime_config_secret: None,
            variables: BTreeMap::new(),
        }
    }
}

/// Why objects cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// Not a valid Kubernetes object name.
    #[error("`{0}` is not a valid Kubernetes name: use at most 63 lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit (set one with --name)")]
    InvalidName(String),
}

/// A Kubernetes name for the app at `reference`: the last path segment of
/// the repository, lowercased, other characters turned into `-`.
pub fn name_from_reference(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let repo = last.split(':').next().unwrap_or(last);
    let mut name: String = repo
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    name = name.trim_matches('-').chars().take(63).collect();
    name.trim_end_matches('-').to_string()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The environment variable Spin and Kiln read a variable from.
pub fn variable_env_name(name: &str) -> String {
    format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())
}

/// Renders every object as a multi-document YAML stream.
pub fn scaffold(options: &ScaffoldOptions) -> Result<String, ScaffoldError> {
    if !valid_name(&options.name) {
        return Err(ScaffoldError::InvalidName(options.name.clone()));
    }
    if !valid_name(&options.runtime_class) {
        return Err(ScaffoldError::InvalidName(options.runtime_class.clone()));
    }
    let mut docs = vec![runtime_class(options)];
    let (secrets, plain): (Vec<_>, Vec<_>) = options.variables.iter().partition(|(_, v)| v.secret);
    if !plain.is_empty() {
        docs.push(variables_object(options, "ConfigMap", &format!("{}-variables", options.name), &plain));
    }
    if !secrets.is_empty() {
        docs.push(variables_object(options, "Secret", &format!("{}-secrets", options.name), &secrets));
    }
    docs.push(deployment(options, &plain, &secrets));
    docs.push(service(options));
    Ok(docs.join("---\n"))
}

fn runtime_class(o: &ScaffoldOptions) -> String {
    format!(
        "# Nodes run pods of this class with containerd's `{label}` runtime (containerd-shim-kiln-v1).\n\
         apiVersion: node.k8s.io/v1\n\
         kind: RuntimeClass\n\
         metadata:\n  name: {name}\n\
         handler: {handler}\n",
        // Validated as a DNS label: fine unquoted in a comment.
        label = o.runtime_class,
        name = quote(&o.runtime_class),
        handler = quote(&o.runtime_class),
    )
}

fn variables_object(o: &ScaffoldOptions, kind: &str, name: &str, vars: &[(&String, &LockedVariable)]) -> String {
    let mut out = String::new();
    let required = vars.iter().any(|(_, v)| v.default.is_none());
    if required {
        out.push_str("# Fill in the variables marked `required` before applying.\n");
    }
    out.push_str("apiVersion: v1\n");
    out.push_str(&format!("kind: {kind}\n"));
    out.push_str(&format!("metadata:\n  name: {}\n  labels:\n    app: {}\n", quote(name), quote(&o.name)));
    if kind == "Secret" {
        out.push_str("type: Opaque\nstringData:\n");
    } else {
        out.push_str("data:\n");
    }
    for (var, spec) in vars {
        let comment = match (&spec.default, &spec.description) {
            (None, Some(d)) => format!("  # required: {}", one_line(d)),
            (None, None) => "  # required".to_string(),
            (Some(_), Some(d)) => format!("  # {}", one_line(d)),
            (Some(_), None) => String::new(),
        };
        let value = spec.default.as_deref().unwrap_or("");
        out.push_str(&format!("  {}: {}{comment}\n", quote(var), quote(value)));
    }
    out
}

fn deployment(o: &ScaffoldOptions, plain: &[(&String, &LockedVariable)], secrets: &[(&String, &LockedVariable)]) -> String {
    let name = quote(&o.name);
    let mut env = String::new();
    let mut env_var = |var: &str, source: &str, object: String, optional: bool| {
        env.push_str(&format!(
            "            - name: {}\n              valueFrom:\n                {source}:\n                  name: {}\n                  key: {}\n                  optional: {optional}\n",
            quote(&variable_env_name(var)),
            quote(&object),
            quote(var),
        ));
    };
    for (var, spec) in plain {
        env_var(var, "configMapKeyRef", format!("{}-variables", o.name), spec.default.is_some());
    }
    for (var, spec) in secrets {
        env_var(var, "secretKeyRef", format!("{}-secrets", o.name), spec.default.is_some());
    }
    let listen = format!("0.0.0.0:{}", o.container_port);
    let (mounts, volumes) = match &o.runtime_config_secret {
        Some(secret) => (
            "          volumeMounts:\n            - name: runtime-config\n              mountPath: /runtime-config.toml\n              subPath: runtime-config.toml\n              readOnly: true\n".to_string(),
            format!("      volumes:\n        - name: runtime-config\n          secret:\n            secretName: {}\n", quote(secret)),
        ),
        None => (String::new(), String::new()),
    };
    let probe = |kind: &str, delay: u32, period: u32| {
        format!(
            "          {kind}:\n            httpGet:\n              path: {}\n              port: {}\n            initialDelaySeconds: {delay}\n            periodSeconds: {period}\n",
            quote(HEALTH_PATH),
            o.container_port,
        )
    };
    format!(
        "apiVersion: apps/v1\n\
         kind: Deployment\n\
         metadata:\n  name: {name}\n  labels:\n    app: {name}\n\
         spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n\
         \x20 template:\n    metadata:\n      labels:\n        app: {name}\n\
         \x20   spec:\n      runtimeClassName: {class}\n\
         \x20     containers:\n        - name: {name}\n          image: {image}\n\
         \x20         # Wasm images have no entrypoint; the shim runs the app whatever the command.\n\
         \x20         command: [\"/\"]\n\
         \x20         ports:\n            - containerPort: {port}\n\
         \x20         env:\n            - name: SPIN_HTTP_LISTEN_ADDR\n              value: {listen}\n{env}\
         \x20         resources:\n            requests:\n              cpu: {cpu_req}\n              memory: {mem_req}\n            limits:\n              cpu: {cpu_lim}\n              memory: {mem_lim}\n\
         {readiness}{liveness}{mounts}{volumes}",
        replicas = o.replicas,
        class = quote(&o.runtime_class),
        image = quote(&o.image),
        port = o.container_port,
        listen = quote(&listen),
        cpu_req = quote(&o.cpu_request),
        mem_req = quote(&o.memory_request),
        cpu_lim = quote(&o.cpu_limit),
        mem_lim = quote(&o.memory_limit),
        readiness = probe("readinessProbe", 1, 5),
        liveness = probe("livenessProbe", 5, 10),
    )
}

fn service(o: &ScaffoldOptions) -> String {
    let name = quote(&o.name);
    format!(
        "apiVersion: v1\n\
         kind: Service\n\
         metadata:\n  name: {name}\n  labels:\n    app: {name}\n\
         spec:\n  type: ClusterIP\n  selector:\n    app: {name}\n  ports:\n    - protocol: TCP\n      port: {}\n      targetPort: {}\n",
        o.service_port, o.container_port,
    )
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
