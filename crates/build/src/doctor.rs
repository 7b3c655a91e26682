//! `kiln doctor`: finds common problems in an application and says how to
//! fix each.
//!
//! Checks, in order: the manifest can be found, parsed and validated
//! (routes under `/.well-known/spin/` included); every local `.wasm` source
//! exists; every build `workdir` exists and every program a build command
//! starts is on `PATH`; and the wasm target of each Rust component (from
//! `--target` in its build command, `.cargo/config.toml`, or the source
//! path) is installed with rustup.

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_manifest::{validate::RESERVED_ROUTE_PREFIX, AppManifest, ComponentSource, ErrorKind, ManifestError};

use crate::locate::{base_dir, manifest_path, resolve};

/// One problem and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong, naming the file, component or field involved.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

/// Everything `kiln doctor` found.
#[derive(Debug, Default)]
pub struct Report {
    /// The manifest checked, once found.
    pub manifest_path: Option<PathBuf>,
    /// Problems, in the order found.
    pub findings: Vec<Finding>,
    /// Things that could not be checked, with why.
    pub notes: Vec<String>,
}

impl Report {
    fn problem(&mut self, problem: impl Into<String>, fix: impl Into<String>) {
        self.findings.push(Finding {
            problem: problem.into(),
            fix: fix.into(),
        });
    }
}

/// Checks the application `from` names (a manifest or a folder holding
/// `spin.toml`; `None` is the current folder).
pub fn diagnose(from: Option<&Path>) -> Report {
    let mut report = Report::default();
    let path = match manifest_path(from) {
        Ok(path) => path,
        Err(err) => {
            report.problem(
                err.to_string(),
                "run `kiln doctor` in the application's folder or pass `-f path/to/spin.toml` \
                 (`kiln new` creates an application)",
            );
            return report;
        }
    };
    report.manifest_path = Some(path.clone());
    let manifest = match kiln_manifest::parse_file(&path) {
        Ok(manifest) => manifest,
        Err(err) => {
            let fix = manifest_fix(&err);
            report.problem(err.to_string(), fix);
            report
                .notes
                .push("the other checks need a valid manifest; run `kiln doctor` again once it is fixed".into());
            return report;
        }
    };
    let mut rustup = Rustup::default();
    check_components(&path, &manifest, &mut rustup, &mut report);
    report
}

fn manifest_fix(err: &ManifestError) -> String {
    let at = match (err.line(), err.field()) {
        (Some(line), Some(field)) => format!("`{field}` on line {line}"),
        (Some(line), None) => format!("line {line}"),
        (None, Some(field)) => format!("`{field}`"),
        (None, None) => "the manifest".to_string(),
    };
    if err.message().contains(RESERVED_ROUTE_PREFIX) || err.message().contains("reserved") {
        return format!(
            "Spin reserves `{RESERVED_ROUTE_PREFIX}` for the platform's own endpoints (health, info): \
             move the route in {at} elsewhere, e.g. `/.well-known/my-app/...`"
        );
    }
    match err.kind() {
        ErrorKind::Io => "check the path and its permissions".into(),
        ErrorKind::Syntax => format!("fix the TOML syntax at {at}"),
        ErrorKind::Version => "start the manifest with `spin_manifest_version = 2`".into(),
        ErrorKind::Schema => format!(
            "correct {at}: unknown fields are errors and each field has one type \
             (see Spin's manifest reference)"
        ),
        // The manifest reports no unsupported kind; kept with `Invalid`.
        ErrorKind::Invalid | ErrorKind::Unsupported => format!("change {at} as the message says"),
    }
}

fn check_components(path: &Path, manifest: &AppManifest, rustup: &mut Rustup, report: &mut Report) {
    let base = base_dir(path);
    for (id, component) in &manifest.components {
        let build = component.build.as_ref();
        if let ComponentSource::Local(source) = &component.source {
            let wasm = resolve(&base, source);
            if !wasm.is_file() {
                let fix = match build.and_then(|b| b.command.first()) {
                    Some(command) => format!(
                        "run `kiln build -c {id}`: its build command `{command}` should produce it \
                         (if it does not, correct `source`)"
                    ),
                    None => format!(
                        "the component has no `[component.{id}.build]` command: build the .wasm yourself, \
                         add a build command, or correct `source`"
                    ),
                };
                report.problem(
                    format!("component `{id}`: source {} does not exist", wasm.display()),
                    fix,
                );
            }
        }
        let Some(build) = build else { continue };
        let workdir = crate::run::workdir(&base, build);
        if !workdir.is_dir() {
            report.problem(
                format!("component `{id}`: build workdir {} does not exist", workdir.display()),
                format!("create the folder or correct `component.{id}.build.workdir` (it is relative to the manifest)"),
            );
            continue;
        }
        let mut uses_cargo = false;
        let mut target = None;
        for command in &build.command {
            let Some(programs) = crate::shell::programs(command) else {
                report.problem(
                    format!("component `{id}`: build command `{command}` has unbalanced quotes"),
                    "close the quote; the command runs with `sh -c`",
                );
                continue;
            };
            for program in programs {
                if program == "cargo" {
                    uses_cargo = true;
                }
                if !is_runnable(&workdir, &program) {
                    report.problem(
                        format!(
                            "component `{id}`: build command `{command}` runs `{program}`, which is not {}",
                            if program.contains('/') {
                                "an executable file"
                            } else {
                                "on PATH"
                            }
                        ),
                        install_hint(&program),
                    );
                    // No target check without the tool.
                    if program == "cargo" {
                        uses_cargo = false;
                    }
                }
            }
            target = target.or_else(|| crate::shell::cargo_target(command));
        }
        if !uses_cargo {
            continue;
        }
        let target = target
            .or_else(|| config_target(&workdir))
            .or_else(|| match &component.source {
                ComponentSource::Local(source) => target_in_path(source),
                _ => None,
            });
        let Some(target) = target.filter(|t| t.starts_with("wasm32")) else {
            report.notes.push(format!(
                "component `{id}`: cannot tell which wasm target its cargo build uses \
                 (no `--target` in the command and none in .cargo/config.toml)"
            ));
            continue;
        };
        match rustup.installed(&workdir) {
            Ok(installed) if installed.contains(&target) => {}
            Ok(_) => report.problem(
                format!("component `{id}` is built for `{target}`, which is not installed"),
                format!("rustup target add {target}"),
            ),
            Err(why) => report
                .notes
                .push(format!("component `{id}`: cannot check target `{target}`: {why}")),
        }
    }
}

/// Whether `program` would start: a path (relative to `workdir`) to an
/// executable, or a name found on `PATH`.
fn is_runnable(workdir: &Path, program: &str) -> bool {
    if program.contains('/') {
        let path = resolve(workdir, Path::new(program));
        return is_executable(&path);
    }
    which::which(program).is_ok()
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}

fn install_hint(program: &str) -> String {
    let hint = match program {
        "cargo" | "rustc" | "rustup" => {
            "install Rust with rustup (https://rustup.rs), then `rustup target add wasm32-wasip2`"
        }
        "componentize-py" => "`pip install componentize-py` (in the app's virtual environment, if it has one)",
        "python" | "python3" | "pip" | "pip3" => "install Python 3",
        "npm" | "npx" | "node" => "install Node.js (it includes npm)",
        "j2w" | "jco" | "componentize-js" => "run `npm install` in the component's folder (package.json lists it)",
        "tinygo" => "install TinyGo (https://tinygo.org)",
        "go" => "install Go",
        "make" => "install make (e.g. `apt-get install make`)",
        _ => return format!("install `{program}` or change the build command"),
    };
    hint.to_string()
}

/// `[build] target` from the `.cargo/config.toml` cargo would read in
/// `workdir` (it looks in every ancestor folder).
fn config_target(workdir: &Path) -> Option<String> {
    let mut dir = Some(workdir);
    while let Some(d) = dir {
        for name in [".cargo/config.toml", ".cargo/config"] {
            let Ok(text) = std::fs::read_to_string(d.join(name)) else {
                continue;
            };
            let Ok(table) = text.parse::<toml::Table>() else {
                continue;
            };
            let target = table.get("build").and_then(|b| b.get("target"));
            match target {
                Some(toml::Value::String(t)) => return Some(t.clone()),
                Some(toml::Value::Array(list)) => {
                    return list
                        .iter()
                        .find_map(|v| v.as_str().filter(|t| t.starts_with("wasm32")).map(str::to_string))
                }
                _ => {}
            }
        }
        dir = d.parent();
    }
    None
}

/// `target/wasm32-wasip1/release/app.wasm` → `wasm32-wasip1`.
fn target_in_path(source: &Path) -> Option<String> {
    source
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .find(|c| c.starts_with("wasm32-"))
        .map(str::to_string)
}

/// `rustup target list --installed`, asked once per folder (a
/// rust-toolchain.toml can change the toolchain per folder).
#[derive(Default)]
struct Rustup {
    cache: Vec<(PathBuf, Result<Vec<String>, String>)>,
}

impl Rustup {
    fn installed(&mut self, dir: &Path) -> Result<Vec<String>, String> {
        if let Some((_, result)) = self.cache.iter().find(|(d, _)| d == dir) {
            return result.clone();
        }
        let result = match Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(dir)
            .output()
        {
            Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.trim().to_string())
                .collect()),
            Ok(out) => Err(format!(
                "`rustup target list --installed` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Err(format!(
                "rustup is not available ({e}); install Rust with rustup to manage targets"
            )),
        };
        self.cache.push((dir.to_path_buf(), result.clone()));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_comes_from_config_or_source_path() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join(".cargo")).unwrap();
        std::fs::write(app.join(".cargo/config.toml"), "[build]\ntarget = \"wasm32-wasip1\"\n").unwrap();
        std::fs::create_dir_all(app.join("sub")).unwrap();
        assert_eq!(config_target(&app.join("sub")).as_deref(), Some("wasm32-wasip1"));
        assert_eq!(config_target(dir.path()), None);
        assert_eq!(
            target_in_path(Path::new("target/wasm32-wasip2/release/a.wasm")).as_deref(),
            Some("wasm32-wasip2")
        );
    }
}
