//! What a set of changed files means for `kiln watch`.
//!
//! A [`WatchPlan`] is made from the manifest. A change to a file matching a
//! component's `build.watch` globs (relative to its build `workdir`)
//! rebuilds that component; a change to the manifest, to a component's
//! `.wasm` source or to a file it mounts restarts serving. Everything else,
//! including Kiln's own `.spin` folder, is ignored.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use kiln_manifest::{AppManifest, ComponentSource, FileMount};

use crate::locate::{base_dir, resolve};

/// A glob in the manifest that is not valid.
#[derive(Debug, thiserror::Error)]
#[error("component `{component}`: {field} pattern `{pattern}`: {message}")]
pub struct PlanError {
    component: String,
    field: &'static str,
    pattern: String,
    message: String,
}

/// What to do about a batch of changed paths.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Components to rebuild, in manifest order.
    pub rebuild: Vec<String>,
    /// Whether serving must restart (implied by any rebuild).
    pub restart: bool,
    /// Whether the manifest itself changed (the plan must be made again).
    pub manifest_changed: bool,
    /// One line per relevant change, e.g. `src/lib.rs (build.watch of hello)`.
    pub reasons: Vec<String>,
}

impl Decision {
    /// Whether the batch needs any action.
    pub fn is_empty(&self) -> bool {
        self.rebuild.is_empty() && !self.restart
    }
}

/// A folder to watch and whether its subfolders are watched too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPoint {
    /// The folder (it may not exist yet; a mounted file stands for its folder).
    pub path: PathBuf,
    /// Watch subfolders as well.
    pub recursive: bool,
}

/// The files that matter to `kiln watch`, from one version of the manifest.
#[derive(Debug)]
pub struct WatchPlan {
    manifest_path: PathBuf,
    base_dir: PathBuf,
    builds: Vec<BuildWatch>,
    sources: Vec<(String, PathBuf)>,
    files: Vec<FilesWatch>,
    points: Vec<WatchPoint>,
}

#[derive(Debug)]
struct BuildWatch {
    id: String,
    workdir: PathBuf,
    globs: GlobSet,
}

#[derive(Debug)]
enum FilesWatch {
    /// Glob relative to the manifest folder.
    Pattern { id: String, globs: GlobSet },
    /// A file, or everything under a folder.
    Path { id: String, path: PathBuf },
}

impl WatchPlan {
    /// Makes the plan. Only components in `selected` (all when empty) are
    /// rebuilt, and none when `skip_build`; every component's source and
    /// files restart serving.
    pub fn new(
        manifest_path: &Path,
        manifest: &AppManifest,
        selected: &[String],
        skip_build: bool,
    ) -> Result<Self, PlanError> {
        let base = base_dir(manifest_path);
        let mut points = vec![WatchPoint {
            path: base.clone(),
            recursive: false,
        }];
        let mut builds = Vec::new();
        let mut sources = Vec::new();
        let mut files = Vec::new();
        for (id, component) in &manifest.components {
            let rebuilds = !skip_build && (selected.is_empty() || selected.contains(id));
            if let Some(build) = component.build.as_ref().filter(|b| rebuilds && !b.watch.is_empty()) {
                let workdir = crate::run::workdir(&base, build);
                let globs = glob_set(id, "build.watch", &build.watch)?;
                points.extend(build.watch.iter().map(|p| glob_root(&workdir, p)));
                builds.push(BuildWatch {
                    id: id.clone(),
                    workdir,
                    globs,
                });
            }
            if let ComponentSource::Local(path) = &component.source {
                let path = resolve(&base, path);
                points.push(WatchPoint {
                    path: parent(&path),
                    recursive: false,
                });
                sources.push((id.clone(), path));
            }
            for mount in &component.files {
                match mount {
                    FileMount::Pattern(pattern) => {
                        points.push(glob_root(&base, pattern));
                        let globs = glob_set(id, "files", std::slice::from_ref(pattern))?;
                        files.push(FilesWatch::Pattern { id: id.clone(), globs });
                    }
                    FileMount::Placement { source, .. } => {
                        let path = resolve(&base, Path::new(source));
                        // A folder may appear later (a build makes it); the
                        // watcher stands in for a file with its folder.
                        points.push(WatchPoint {
                            path: path.clone(),
                            recursive: true,
                        });
                        files.push(FilesWatch::Path { id: id.clone(), path });
                    }
                }
            }
        }
        Ok(Self {
            manifest_path: manifest_path.to_path_buf(),
            base_dir: base,
            builds,
            sources,
            files,
            points: dedupe(points),
        })
    }

    /// The folders to watch. Some may not exist yet (before a first build).
    pub fn watch_points(&self) -> &[WatchPoint] {
        &self.points
    }

    /// Decides what `changed` calls for.
    pub fn classify(&self, changed: &[PathBuf]) -> Decision {
        let mut decision = Decision::default();
        let state_dir = self.base_dir.join(".spin");
        for path in changed {
            if path.starts_with(&state_dir) {
                continue;
            }
            let shown = self.show(path);
            if *path == self.manifest_path {
                decision.manifest_changed = true;
                decision.restart = true;
                decision.reasons.push(format!("{shown} (the manifest)"));
                continue;
            }
            for build in &self.builds {
                let matched = path
                    .strip_prefix(&build.workdir)
                    .is_ok_and(|rel| build.globs.is_match(rel));
                if matched {
                    if !decision.rebuild.contains(&build.id) {
                        decision.rebuild.push(build.id.clone());
                    }
                    decision.restart = true;
                    decision
                        .reasons
                        .push(format!("{shown} (build.watch of `{}`)", build.id));
                }
            }
            for (id, source) in &self.sources {
                if path == source {
                    decision.restart = true;
                    decision.reasons.push(format!("{shown} (source of `{id}`)"));
                }
            }
            for files in &self.files {
                let id = match files {
                    FilesWatch::Pattern { id, globs } => path
                        .strip_prefix(&self.base_dir)
                        .is_ok_and(|rel| globs.is_match(rel))
                        .then_some(id),
                    FilesWatch::Path { id, path: mounted } => path.starts_with(mounted).then_some(id),
                };
                if let Some(id) = id {
                    decision.restart = true;
                    decision.reasons.push(format!("{shown} (files of `{id}`)"));
                }
            }
        }
        // Manifest order, whatever order the changes came in.
        let order: Vec<&String> = self.builds.iter().map(|b| &b.id).collect();
        decision.rebuild.sort_by_key(|id| order.iter().position(|o| *o == id));
        decision
    }

    fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.base_dir).unwrap_or(path).display().to_string()
    }
}

fn glob_set(component: &str, field: &'static str, patterns: &[String]) -> Result<GlobSet, PlanError> {
    let error = |pattern: &str, message: String| PlanError {
        component: component.to_string(),
        field,
        pattern: pattern.to_string(),
        message,
    };
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob: Glob = GlobBuilder::new(pattern.trim_start_matches("./"))
            .literal_separator(true)
            .build()
            .map_err(|e| error(pattern, e.kind().to_string()))?;
        set.add(glob);
    }
    set.build().map_err(|e| error(&patterns.join(", "), e.to_string()))
}

fn is_glob_part(part: &str) -> bool {
    part.contains(['*', '?', '[', '{'])
}

/// The folder a glob can match under: its leading literal segments, watched
/// recursively when more than one segment (or a `**`) follows.
fn glob_root(base: &Path, pattern: &str) -> WatchPoint {
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let literal = parts.iter().take_while(|p| !is_glob_part(p)).count();
    if literal == parts.len() {
        let path = resolve(base, Path::new(pattern));
        return WatchPoint {
            path: parent(&path),
            recursive: false,
        };
    }
    let rest = &parts[literal..];
    let recursive = rest.len() > 1 || rest.iter().any(|p| p.contains("**"));
    WatchPoint {
        path: resolve(base, &parts[..literal].iter().collect::<PathBuf>()),
        recursive,
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.to_path_buf())
}

/// One point per folder (recursive wins), none inside a recursive one.
fn dedupe(points: Vec<WatchPoint>) -> Vec<WatchPoint> {
    let mut out: Vec<WatchPoint> = Vec::new();
    for point in points {
        match out.iter_mut().find(|p| p.path == point.path) {
            Some(existing) => existing.recursive |= point.recursive,
            None => out.push(point),
        }
    }
    let recursive: Vec<PathBuf> = out.iter().filter(|p| p.recursive).map(|p| p.path.clone()).collect();
    out.retain(|p| !recursive.iter().any(|r| p.path != *r && p.path.starts_with(r)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"spin_manifest_version = 2
[application]
name = "t"
[component.api]
source = "api/target/api.wasm"
files = ["static/**/*.html", { source = "assets", destination = "/assets" }]
[component.api.build]
command = "cargo build"
workdir = "api"
watch = ["src/**/*.rs", "Cargo.toml"]
[component.web]
source = "web.wasm"
[component.web.build]
command = "make"
watch = ["*.js"]
"#;

    fn make_plan(selected: &[String], skip_build: bool) -> (WatchPlan, PathBuf) {
        let manifest = kiln_manifest::parse_str(APP, Path::new("spin.toml")).unwrap();
        let path = PathBuf::from("/app/spin.toml");
        (
            WatchPlan::new(&path, &manifest, selected, skip_build).unwrap(),
            PathBuf::from("/app"),
        )
    }

    #[test]
    fn build_globs_rebuild_relative_to_workdir() {
        let (plan, base) = make_plan(&[], false);
        let d = plan.classify(&[base.join("web.js"), base.join("api/src/deep/lib.rs")]);
        assert_eq!(d.rebuild, ["api", "web"], "manifest order");
        assert!(d.restart && !d.manifest_changed);
        assert_eq!(
            d.reasons,
            [
                "web.js (build.watch of `web`)",
                "api/src/deep/lib.rs (build.watch of `api`)"
            ]
        );
        // `*.js` does not cross folders; `src/**/*.rs` is relative to `api`.
        assert!(plan
            .classify(&[base.join("lib/x.js"), base.join("src/lib.rs")])
            .is_empty());
        assert_eq!(plan.classify(&[base.join("api/Cargo.toml")]).rebuild, ["api"]);
    }

    #[test]
    fn manifest_sources_and_files_restart() {
        let (plan, base) = make_plan(&[], false);
        for (path, reason) in [
            ("spin.toml", "spin.toml (the manifest)"),
            ("web.wasm", "web.wasm (source of `web`)"),
            ("static/a/index.html", "static/a/index.html (files of `api`)"),
            ("assets/img/logo.png", "assets/img/logo.png (files of `api`)"),
        ] {
            let d = plan.classify(&[base.join(path)]);
            assert!(d.restart && d.rebuild.is_empty(), "{path}: {d:?}");
            assert_eq!(d.reasons, [reason]);
        }
        assert!(plan.classify(&[base.join("spin.toml")]).manifest_changed);
        assert!(plan
            .classify(&[base.join(".spin/logs/api_stdout.txt"), base.join("README.md")])
            .is_empty());
    }

    #[test]
    fn selection_and_skip_build_limit_rebuilds() {
        let (plan, base) = make_plan(&["web".into()], false);
        assert!(plan.classify(&[base.join("api/src/lib.rs")]).is_empty());
        assert_eq!(plan.classify(&[base.join("a.js")]).rebuild, ["web"]);
        let (plan, base) = make_plan(&[], true);
        assert!(plan.classify(&[base.join("a.js")]).is_empty());
        assert!(plan.classify(&[base.join("web.wasm")]).restart);
    }

    #[test]
    fn watch_points_cover_globs_without_whole_trees() {
        let (plan, base) = make_plan(&[], false);
        let points: Vec<(String, bool)> = plan
            .watch_points()
            .iter()
            .map(|p| (p.path.strip_prefix(&base).unwrap().display().to_string(), p.recursive))
            .collect();
        assert_eq!(
            points,
            [
                (String::new(), false),
                ("api/src".into(), true),
                ("api".into(), false),
                ("api/target".into(), false),
                ("static".into(), true),
                ("assets".into(), true),
            ],
            "no watch on api/target's subfolders or the whole app tree"
        );
    }
}
