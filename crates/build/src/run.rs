//! Running components' build commands.
//!
//! Each command runs through `sh -c` in the component's `workdir` (relative
//! to the manifest folder), components in manifest order. Every line the
//! command writes is echoed as it arrives, prefixed with `[component-id] `,
//! stdout to stdout and stderr to stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use kiln_manifest::{AppManifest, ComponentBuild};

/// Why a build stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `-c` named a component the manifest does not have.
    #[error("no component `{id}` in the manifest (components: {known})")]
    UnknownComponent {
        /// The id asked for.
        id: String,
        /// The manifest's component ids, comma separated.
        known: String,
    },
    /// The component's `workdir` is not a folder.
    #[error("component `{component}`: build workdir {} does not exist", path.display())]
    Workdir {
        /// Component id.
        component: String,
        /// The resolved workdir.
        path: PathBuf,
    },
    /// `sh` could not be started.
    #[error("component `{component}`: cannot run build command `{command}`: {source}")]
    Spawn {
        /// Component id.
        component: String,
        /// The command line.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The command ran and failed.
    #[error("component `{component}`: build command `{command}` {status}")]
    Failed {
        /// Component id.
        component: String,
        /// The command line.
        command: String,
        /// How it ended, e.g. `failed with exit code 3`.
        status: String,
    },
}

/// Builds the components named in `selected` (all when empty), in manifest
/// order. Components without a build section are skipped with a note.
pub fn build(manifest_path: &Path, manifest: &AppManifest, selected: &[String]) -> Result<(), BuildError> {
    check_selection(manifest, selected)?;
    let base_dir = crate::locate::base_dir(manifest_path);
    for (id, component) in &manifest.components {
        if !selected.is_empty() && !selected.contains(id) {
            continue;
        }
        match &component.build {
            Some(build) => build_component(&base_dir, id, build)?,
            None => println!("No build command for component `{id}`; skipping"),
        }
    }
    Ok(())
}

/// Fails naming the first id in `selected` that is not a component.
pub fn check_selection(manifest: &AppManifest, selected: &[String]) -> Result<(), BuildError> {
    match selected.iter().find(|id| !manifest.components.contains_key(*id)) {
        Some(id) => Err(BuildError::UnknownComponent {
            id: id.clone(),
            known: manifest.components.keys().cloned().collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

/// The folder a component's build commands run in.
pub fn workdir(base_dir: &Path, build: &ComponentBuild) -> PathBuf {
    match &build.workdir {
        Some(dir) => crate::locate::resolve(base_dir, dir),
        None => base_dir.to_path_buf(),
    }
}

/// Runs one component's build commands in order, stopping at the first
/// failure.
pub fn build_component(base_dir: &Path, id: &str, build: &ComponentBuild) -> Result<(), BuildError> {
    let dir = workdir(base_dir, build);
    if !dir.is_dir() {
        return Err(BuildError::Workdir {
            component: id.to_string(),
            path: dir,
        });
    }
    for command in &build.command {
        println!("Building component `{id}` with `{command}`");
        run_command(&dir, id, command)?;
    }
    Ok(())
}

fn run_command(dir: &Path, id: &str, command: &str) -> Result<(), BuildError> {
    let spawn_error = |source| BuildError::Spawn {
        component: id.to_string(),
        command: command.to_string(),
        source,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let prefix = format!("[{id}] ");
    let out = child.stdout.take().map(|pipe| {
        let prefix = prefix.clone();
        std::thread::spawn(move || echo_lines(pipe, &prefix, || Box::new(std::io::stdout().lock())))
    });
    let err = child
        .stderr
        .take()
        .map(|pipe| std::thread::spawn(move || echo_lines(pipe, &prefix, || Box::new(std::io::stderr().lock()))));
    let status = child.wait().map_err(spawn_error)?;
    // The readers end when the command (and anything it left running) closes
    // its pipes.
    for reader in [out, err].into_iter().flatten() {
        let _ = reader.join();
    }
    if status.success() {
        return Ok(());
    }
    Err(BuildError::Failed {
        component: id.to_string(),
        command: command.to_string(),
        status: describe(status),
    })
}

/// Copies `pipe` line by line to the writer `sink` makes, each line prefixed.
/// Bytes that are not UTF-8 are passed through lossily.
fn echo_lines(pipe: impl Read, prefix: &str, sink: fn() -> Box<dyn Write>) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']);
                let mut out = sink();
                let _ = writeln!(out, "{prefix}{text}");
                let _ = out.flush();
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("failed with exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    format!("failed ({status})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> AppManifest {
        kiln_manifest::parse_str(text, Path::new("spin.toml")).unwrap()
    }

    const TWO: &str = "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
        [component.a]\nsource = \"a.wasm\"\n[component.a.build]\ncommand = \"echo a >> order.txt\"\n\
        [component.b]\nsource = \"b.wasm\"\n[component.b.build]\ncommand = [\"echo b >> ../order.txt\", \"exit 3\"]\nworkdir = \"sub\"\n";

    #[test]
    fn runs_in_order_in_workdir_and_names_the_failure() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let path = dir.path().join("spin.toml");
        let err = build(&path, &manifest(TWO), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "component `b`: build command `exit 3` failed with exit code 3"
        );
        assert_eq!(std::fs::read_to_string(dir.path().join("order.txt")).unwrap(), "a\nb\n");
    }

    #[test]
    fn selection_is_checked_and_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spin.toml");
        let err = build(&path, &manifest(TWO), &["nope".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no component `nope` in the manifest (components: a, b)"
        );
        build(&path, &manifest(TWO), &["a".into()]).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("order.txt")).unwrap(), "a\n");
    }

    #[test]
    fn missing_workdir_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(&dir.path().join("spin.toml"), &manifest(TWO), &["b".into()]).unwrap_err();
        assert!(
            matches!(err, BuildError::Workdir { ref component, .. } if component == "b"),
            "{err}"
        );
    }
}
