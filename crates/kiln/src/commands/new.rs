//! `kiln new` and `kiln add`: create an application, or add a component to
//! one, from a template (`kiln-templates`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use kiln_templates::{AddTarget, Parameter, RenderInput, Template, TemplateStore, WriteMode};

/// `kiln new --help` examples.
pub const NEW_EXAMPLES: &str = "Examples:
  kiln new -t http-rust hello                 create ./hello from the Rust HTTP template
  kiln new -t http-py api --accept-defaults   no questions: every parameter takes its default
  kiln new -t http-rust web -v http-path=/web/... -o apps/web
  kiln new -t http-empty --init               a manifest in the current folder, named after it
Then: cd hello && kiln build && kiln up";

/// `kiln add --help` examples.
pub const ADD_EXAMPLES: &str = "Examples:
  kiln add -t http-rust api                   ./api/ plus its trigger and component in ./spin.toml
  kiln add -t static-fileserver assets -v http-path=/static/... -f apps/site";

/// Arguments of `kiln new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// Name of the new application; also its folder unless -o or --init.
    pub name: Option<String>,
    /// The template to use (see `kiln templates list`).
    #[arg(short = 't', long = "template")]
    pub template: Option<String>,
    /// Folder to create the application in (default: ./NAME).
    #[arg(short = 'o', long = "output", conflicts_with = "init")]
    pub output: Option<PathBuf>,
    /// Create the application in the current folder.
    #[arg(long)]
    pub init: bool,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Do not create a git repository.
    #[arg(long = "no-vcs")]
    pub no_vcs: bool,
    /// Write into a non-empty folder, replacing files the template writes.
    #[arg(long = "allow-overwrite")]
    pub allow_overwrite: bool,
}

/// Arguments of `kiln add`.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Name of the new component; also its folder unless -o.
    pub name: Option<String>,
    /// The template to use (see `kiln templates list`).
    #[arg(short = 't', long = "template")]
    pub template: Option<String>,
    /// The application's spin.toml, or a folder holding one.
    #[arg(short = 'f', long = "file", default_value = "spin.toml")]
    pub file: PathBuf,
    /// Folder for the component's files (default: NAME beside spin.toml).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Write into a non-empty component folder.
    #[arg(long = "allow-overwrite")]
    pub allow_overwrite: bool,
}

/// Parameter values, shared by `new` and `add`.
#[derive(clap::Args, Debug)]
pub struct ValueArgs {
    /// Take every parameter's default without asking.
    #[arg(long = "accept-defaults")]
    pub accept_defaults: bool,
    /// A parameter value (repeatable); wins over --values-file.
    #[arg(short = 'v', long = "value", value_name = "KEY=VALUE")]
    pub values: Vec<String>,
    /// A TOML or JSON file of parameter values (a table of strings).
    #[arg(long = "values-file", value_name = "FILE")]
    pub values_file: Option<PathBuf>,
}

/// Runs `kiln new`.
pub fn run_new(args: NewArgs) -> Result<()> {
    let interactive = interactive(&args.values);
    let store = store();
    let template = pick_template(&store, args.template.as_deref(), interactive, "new")?;
    let cwd = std::env::current_dir().context("reading the current folder")?;
    let name = match (&args.name, args.init) {
        (Some(name), _) => name.clone(),
        (None, true) => cwd
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("the current folder has no name; pass NAME")?,
        (None, false) if interactive => ask_text("Enter a name for your new application", None)?,
        (None, false) => bail!(
            "pass a NAME for the new application (e.g. `kiln new -t {} hello`)",
            template.id()
        ),
    };
    check_name(&name)?;
    let (dir, mode) = match (&args.output, args.init) {
        (_, true) => (
            cwd.clone(),
            if args.allow_overwrite {
                WriteMode::Overwrite
            } else {
                WriteMode::KeepExisting
            },
        ),
        (Some(out), false) => (out.clone(), overwrite_mode(args.allow_overwrite)),
        (None, false) => (PathBuf::from(&name), overwrite_mode(args.allow_overwrite)),
    };
    let values = resolve(&template, &args.values, interactive)?;
    let input = RenderInput {
        name: name.clone(),
        authors: authors(),
        values,
    };
    let written = template
        .generate(&input, &dir, mode)
        .with_context(|| format!("creating {} from template {}", dir.display(), template.id()))?;
    tracing::debug!("wrote {} files", written.len());
    if !args.no_vcs {
        init_git(&dir);
    }
    println!("Created {} ({}) in {}", name, template.id(), dir.display());
    if !args.init {
        println!("Next: cd {} && kiln build && kiln up", dir.display());
    } else {
        println!("Next: kiln build && kiln up");
    }
    Ok(())
}

/// Runs `kiln add`.
pub fn run_add(args: AddArgs) -> Result<()> {
    let interactive = interactive(&args.values);
    let manifest = if args.file.is_dir() {
        args.file.join("spin.toml")
    } else {
        args.file.clone()
    };
    if !manifest.is_file() {
        bail!(
            "no application manifest at {} (pass -f PATH to a spin.toml)",
            manifest.display()
        );
    }
    let store = store();
    let template = pick_template(&store, args.template.as_deref(), interactive, "add")?;
    if !template.supports_add() {
        bail!(
            "template `{}` has no component to add; pick another (see `kiln templates list`)",
            template.id()
        );
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None if interactive => ask_text("Enter a name for the new component", None)?,
        None => bail!(
            "pass a NAME for the new component (e.g. `kiln add -t {} api`)",
            template.id()
        ),
    };
    check_name(&name)?;
    let manifest_dir = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| manifest_dir.join(&name));
    let values = resolve(&template, &args.values, interactive)?;
    let input = RenderInput {
        name: name.clone(),
        authors: authors(),
        values,
    };
    let target = AddTarget {
        manifest: manifest.clone(),
        dir: dir.clone(),
        allow_overwrite: args.allow_overwrite,
    };
    template
        .add(&input, &target)
        .with_context(|| format!("adding component {name} to {}", manifest.display()))?;
    println!(
        "Added {name} ({}) in {} to {}",
        template.id(),
        dir.display(),
        manifest.display()
    );
    Ok(())
}

/// Templates: built-in plus installed.
pub fn store() -> TemplateStore {
    TemplateStore::new(kiln_templates::default_user_dir())
}

fn overwrite_mode(allow: bool) -> WriteMode {
    if allow {
        WriteMode::Overwrite
    } else {
        WriteMode::EmptyDir
    }
}

fn interactive(values: &ValueArgs) -> bool {
    !values.accept_defaults && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A name must make a valid component id and crate name once kebab-cased.
fn check_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '));
    if !ok {
        bail!("name `{name}` must start with a letter and hold only letters, digits, `-`, `_` and spaces");
    }
    Ok(())
}

fn pick_template(
    store: &TemplateStore,
    id: Option<&str>,
    interactive: bool,
    verb: &str,
) -> Result<Template> {
    let id = match id {
        Some(id) => id.to_string(),
        None if interactive => {
            let list: Vec<_> = store
                .list()
                .into_iter()
                .filter(|s| verb == "new" || s.id != "http-empty")
                .collect();
            let items: Vec<String> = list
                .iter()
                .map(|s| format!("{} ({})", s.id, s.description))
                .collect();
            let choice = dialoguer::Select::new()
                .with_prompt("Pick a template")
                .items(&items)
                .default(0)
                .interact()
                .context("reading the template choice")?;
            list[choice].id.clone()
        }
        None => {
            let known: Vec<String> = store.list().into_iter().map(|s| s.id).collect();
            bail!(
                "pass a template with -t; known templates: {}",
                known.join(", ")
            )
        }
    };
    Ok(store.get(&id)?)
}

fn ask_text(prompt: &str, default: Option<&str>) -> Result<String> {
    let mut input = dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .allow_empty(default.is_some());
    if let Some(default) = default {
        input = input.default(default.to_string());
    }
    input
        .interact_text()
        .with_context(|| format!("reading `{prompt}`"))
}

/// Values from `--values-file`, then `-v`, then prompts or defaults.
fn resolve(
    template: &Template,
    args: &ValueArgs,
    interactive: bool,
) -> Result<BTreeMap<String, String>> {
    let mut supplied = match &args.values_file {
        Some(path) => read_values_file(path)?,
        None => BTreeMap::new(),
    };
    for pair in &args.values {
        let (k, v) = pair
            .split_once('=')
            .with_context(|| format!("-v `{pair}`: expected KEY=VALUE"))?;
        supplied.insert(k.trim().to_string(), v.to_string());
    }
    let mut ask = |name: &str, p: &Parameter| -> kiln_templates::Result<String> {
        loop {
            let answer = ask_text(&p.prompt, p.default.as_deref()).map_err(|e| {
                kiln_templates::Error::InvalidValue {
                    name: name.to_string(),
                    message: format!("{e:#}"),
                }
            })?;
            // Ask again rather than fail on a typo.
            match p.validate(name, &answer) {
                Ok(()) => return Ok(answer),
                Err(e) => eprintln!("{e}"),
            }
        }
    };
    let ask: Option<kiln_templates::Ask<'_>> = if interactive { Some(&mut ask) } else { None };
    Ok(template.resolve_values(&supplied, ask)?)
}

/// A TOML (or, by `.json` extension, JSON) table; scalars become strings.
fn read_values_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let table: BTreeMap<String, serde_json::Value> = if json {
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a JSON object", path.display()))?
    } else {
        toml::from_str(&text).with_context(|| format!("{}: not a TOML table", path.display()))?
    };
    table
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => bail!(
                    "{}: value of `{k}` must be a string, not {other}",
                    path.display()
                ),
            };
            Ok((k, v))
        })
        .collect()
}

/// `Name <email>` from git's configuration, as Spin fills `authors`.
fn authors() -> String {
    let get = |key: &str| {
        Command::new("git")
            .args(["config", "--get", key])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    match (get("user.name"), get("user.email")) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name,
        (None, Some(email)) => format!("<{email}>"),
        (None, None) => String::new(),
    }
}

const GITIGNORE: &str = "target/\n.spin/\nnode_modules/\ndist/\n.venv/\n__pycache__/\n";

/// `git init` plus a `.gitignore`, when git is installed and `dir` is not
/// already inside a repository. Failures only warn: the app is created.
fn init_git(dir: &Path) {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    match git(&["rev-parse", "--is-inside-work-tree"]) {
        Err(_) => {
            tracing::debug!("git is not installed; no repository created");
            return;
        }
        Ok(status) if status.success() => return,
        Ok(_) => {}
    }
    match git(&["init", "-q"]) {
        Ok(status) if status.success() => {
            let ignore = dir.join(".gitignore");
            if !ignore.exists() {
                if let Err(e) = std::fs::write(&ignore, GITIGNORE) {
                    tracing::warn!("could not write {}: {e}", ignore.display());
                }
            }
        }
        Ok(status) => tracing::warn!("`git init` in {} failed ({status})", dir.display()),
        Err(e) => tracing::warn!("`git init` in {} failed: {e}", dir.display()),
    }
}
