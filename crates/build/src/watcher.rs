//! The `kiln watch` loop: watch the files a [`WatchPlan`] names, rebuild
//! components and restart the serving child process when they change.
//!
//! Serving runs as a child process (`kiln up`), so a restart is a clean
//! start: the old child is sent SIGTERM and waited for (killed if it does
//! not exit in [`STOP_TIMEOUT`]) before the new one starts. On Linux the
//! child is also asked to get SIGTERM should the watcher die, so it never
//! outlives it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::plan::{WatchPlan, WatchPoint};

/// How long a stopping server gets before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why watching could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The manifest is invalid at startup.
    #[error(transparent)]
    Manifest(#[from] kiln_manifest::ManifestError),
    /// A watch glob is invalid.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// `-c` named an unknown component.
    #[error(transparent)]
    Build(#[from] crate::run::BuildError),
    /// The file watcher could not be created.
    #[error("cannot watch files: {0}")]
    Notify(#[from] notify::Error),
    /// The serving process could not be started.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// What to watch and how to serve.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The manifest (absolute, as [`crate::manifest_path`] gives it).
    pub manifest_path: PathBuf,
    /// Components to build and rebuild; all when empty.
    pub components: Vec<String>,
    /// Never run build commands; only restart.
    pub skip_build: bool,
    /// Quiet time after a change before acting, so a burst of writes is one change.
    pub debounce: Duration,
    /// The program that serves (normally the running `kiln`).
    pub serve_program: PathBuf,
    /// Its arguments (normally `up -f <manifest> <up flags>`).
    pub serve_args: Vec<OsString>,
}

enum Next {
    Stop,
    Changed(Vec<PathBuf>),
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Builds, serves, and rebuilds or restarts on changes until Ctrl-C or
/// SIGTERM.
pub async fn watch(options: WatchOptions) -> Result<(), WatchError> {
    let manifest = kiln_manifest::parse_file(&options.manifest_path)?;
    crate::run::check_selection(&manifest, &options.components)?;
    let mut plan = WatchPlan::new(
        &options.manifest_path,
        &manifest,
        &options.components,
        options.skip_build,
    )?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = tx.send(event);
    })?;
    let mut watched = Vec::new();
    sync_watches(&mut watcher, &plan, &mut watched);
    let mut shutdown = std::pin::pin!(shutdown_signal());

    let mut server = None;
    let initial: Vec<String> = if options.skip_build {
        Vec::new()
    } else {
        options.components.clone()
    };
    let built = tokio::select! {
        result = build(&options, initial, options.skip_build) => result,
        _ = &mut shutdown => return Ok(()),
    };
    if built {
        drain(&mut rx, options.debounce).await;
        server = Some(start(&options)?);
    }
    sync_watches(&mut watcher, &plan, &mut watched);
    tracing::info!(manifest = %options.manifest_path.display(), "watching for changes; Ctrl-C stops");

    loop {
        let next = tokio::select! {
            _ = &mut shutdown => Next::Stop,
            paths = next_batch(&mut rx, options.debounce) => match paths {
                Some(paths) => Next::Changed(paths),
                None => Next::Stop,
            },
            status = exited(&mut server) => Next::Exited(status),
        };
        let paths = match next {
            Next::Stop => break,
            Next::Exited(status) => {
                match status {
                    Ok(status) => tracing::warn!("the server exited ({status}); waiting for changes"),
                    Err(err) => tracing::warn!("cannot wait for the server: {err}; waiting for changes"),
                }
                server = None;
                continue;
            }
            Next::Changed(paths) => paths,
        };
        let decision = plan.classify(&paths);
        if decision.is_empty() {
            // New folders may have appeared that a watch point needs.
            sync_watches(&mut watcher, &plan, &mut watched);
            continue;
        }
        for reason in &decision.reasons {
            tracing::info!("changed: {reason}");
        }
        if decision.manifest_changed {
            let reloaded = kiln_manifest::parse_file(&options.manifest_path)
                .map_err(WatchError::from)
                .and_then(|m| {
                    Ok(WatchPlan::new(
                        &options.manifest_path,
                        &m,
                        &options.components,
                        options.skip_build,
                    )?)
                });
            match reloaded {
                Ok(new_plan) => plan = new_plan,
                Err(err) => {
                    tracing::error!("{err}; fix the manifest (still serving the previous version)");
                    continue;
                }
            }
        }
        if !decision.rebuild.is_empty() {
            let built = tokio::select! {
                built = build(&options, decision.rebuild.clone(), false) => built,
                _ = &mut shutdown => break,
            };
            if !built {
                continue;
            }
            drain(&mut rx, options.debounce).await;
        }
        if let Some(mut old) = server.take() {
            tracing::info!("restarting the server");
            stop(&mut old).await;
        }
        server = Some(start(&options)?);
        sync_watches(&mut watcher, &plan, &mut watched);
    }
    if let Some(mut old) = server.take() {
        stop(&mut old).await;
    }
    Ok(())
}

/// Runs the build for `components` (an empty list is every component) off
/// the async workers; `false` after logging a failure.
async fn build(options: &WatchOptions, components: Vec<String>, skip: bool) -> bool {
    if skip {
        return true;
    }
    let path = options.manifest_path.clone();
    let result = tokio::task::spawn_blocking(move || {
        let manifest = kiln_manifest::parse_file(&path)?;
        let ids: Vec<String> = if components.is_empty() {
            manifest.components.keys().cloned().collect()
        } else {
            components
        };
        crate::run::build(&path, &manifest, &ids).map_err(WatchError::from)
    })
    .await;
    match result {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::error!("build failed: {err}; waiting for changes");
            false
        }
        Err(err) => {
            tracing::error!("the build task failed: {err}");
            false
        }
    }
}

fn start(options: &WatchOptions) -> Result<Child, WatchError> {
    let mut command = Command::new(&options.serve_program);
    command
        .args(&options.serve_args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    #[cfg(target_os = "linux")]
    // SAFETY: the closure only makes the prctl system call, which is
    // async-signal-safe, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM).map_err(std::io::Error::from)
        });
    }
    let child = command.spawn().map_err(|source| WatchError::Spawn {
        program: options.serve_program.display().to_string(),
        source,
    })?;
    tracing::debug!(pid = child.id(), "server started");
    Ok(child)
}

/// SIGTERM, then wait; SIGKILL if it has not exited after [`STOP_TIMEOUT`].
async fn stop(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    }
    match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) => tracing::debug!("server stopped ({status})"),
        Ok(Err(err)) => tracing::warn!("cannot wait for the server: {err}"),
        Err(_) => {
            tracing::warn!("the server did not stop within {STOP_TIMEOUT:?}; killing it");
            let _ = child.kill().await;
        }
    }
}

async fn exited(server: &mut Option<Child>) -> std::io::Result<std::process::ExitStatus> {
    match server {
        Some(child) => child.wait().await,
        None => std::future::pending().await,
    }
}

/// The paths of the next burst of changes: waits for one, then collects
/// until `debounce` passes without another. `None` when the watcher is gone.
async fn next_batch(
    rx: &mut UnboundedReceiver<notify::Result<notify::Event>>,
    debounce: Duration,
) -> Option<Vec<PathBuf>> {
    let mut paths = Vec::new();
    loop {
        let event = rx.recv().await?;
        collect(event, &mut paths);
        if !paths.is_empty() {
            break;
        }
    }
    while let Ok(Some(event)) = tokio::time::timeout(debounce, rx.recv()).await {
        collect(event, &mut paths);
    }
    Some(paths)
}

/// Drops the changes a build just made (its own outputs), after letting
/// them arrive.
async fn drain(rx: &mut UnboundedReceiver<notify::Result<notify::Event>>, debounce: Duration) {
    tokio::time::sleep(debounce).await;
    while rx.try_recv().is_ok() {}
}

/// Adds the paths of content changes; reads and other access are ignored
/// (serving reads the watched files).
fn collect(event: notify::Result<notify::Event>, paths: &mut Vec<PathBuf>) {
    match event {
        Ok(event) => {
            if matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) {
                for path in event.paths {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
            }
        }
        Err(err) => tracing::warn!("file watcher: {err}"),
    }
}

/// Makes the watcher's folders match the plan's. A point that does not
/// exist yet is stood in for by its nearest existing ancestor, watched
/// without subfolders, until it appears.
fn sync_watches(watcher: &mut impl Watcher, plan: &WatchPlan, watched: &mut Vec<WatchPoint>) {
    let mut wanted: Vec<WatchPoint> = Vec::new();
    for point in plan.watch_points() {
        let point = existing(point);
        match wanted.iter_mut().find(|p| p.path == point.path) {
            Some(p) => p.recursive |= point.recursive,
            None => wanted.push(point),
        }
    }
    watched.retain(|point| {
        if wanted.contains(point) {
            return true;
        }
        let _ = watcher.unwatch(&point.path);
        false
    });
    for point in wanted {
        if watched.contains(&point) {
            continue;
        }
        let mode = if point.recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        match watcher.watch(&point.path, mode) {
            Ok(()) => {
                tracing::debug!(path = %point.path.display(), recursive = point.recursive, "watching");
                watched.push(point);
            }
            Err(err) => tracing::warn!("cannot watch {}: {err}", point.path.display()),
        }
    }
}

fn existing(point: &WatchPoint) -> WatchPoint {
    if point.path.is_dir() {
        return point.clone();
    }
    let mut path: &Path = &point.path;
    while let Some(parent) = path.parent() {
        if parent.is_dir() {
            return WatchPoint {
                path: parent.to_path_buf(),
                recursive: false,
            };
        }
        path = parent;
    }
    WatchPoint {
        path: PathBuf::from("/"),
        recursive: false,
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
