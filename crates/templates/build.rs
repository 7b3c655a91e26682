//! Embeds the built-in templates (the repository's `templates/` folder) into
//! the crate, so `kiln new` needs neither network nor files beside the binary.
//!
//! The `static-fileserver` template also carries the source of Kiln's own
//! file server (`guests/static-fileserver`) as `content/fileserver/`, so the
//! apps it creates build the server from source.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Extra folders copied into a template's content: (template, folder in
/// content, source folder relative to the repository root).
const OVERLAYS: &[(&str, &str, &str)] = &[(
    "static-fileserver",
    "fileserver",
    "guests/static-fileserver",
)];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest_dir.join("../..");
    let templates = repo.join("templates");
    println!("cargo:rerun-if-changed={}", templates.display());

    let mut entries: Vec<(String, String, PathBuf)> = Vec::new();
    let mut ids: Vec<PathBuf> = std::fs::read_dir(&templates)
        .expect("read templates/")
        .map(|e| e.expect("templates/ entry").path())
        .filter(|p| p.is_dir())
        .collect();
    ids.sort();
    for dir in ids {
        let id = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for file in walk(&dir) {
            let rel = relative(&dir, &file);
            entries.push((id.clone(), rel, file));
        }
        for (template, folder, source) in OVERLAYS {
            if *template != id {
                continue;
            }
            let source = repo.join(source);
            println!("cargo:rerun-if-changed={}", source.display());
            for file in walk(&source) {
                let rel = relative(&source, &file);
                if rel.starts_with("target/") {
                    continue;
                }
                entries.push((id.clone(), format!("content/{folder}/{rel}"), file));
            }
        }
    }

    let mut code = String::from("/// (template id, path in the template folder, contents)\npub(crate) static FILES: &[(&str, &str, &[u8])] = &[\n");
    for (id, rel, file) in entries {
        let abs = file.canonicalize().expect("canonicalize");
        writeln!(
            code,
            "    ({id:?}, {rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("write");
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_templates.rs");
    std::fs::write(out, code).expect("write builtin_templates.rs");
}

/// Every file below `dir`, sorted, skipping build output.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                if name != "target" && name != "node_modules" {
                    stack.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(base: &Path, file: &Path) -> String {
    file.strip_prefix(base)
        .expect("below base")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
