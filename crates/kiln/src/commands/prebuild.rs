//! Building an app's components, shared by `kiln build`, `kiln up --build`
//! and `kiln registry push --build` (kept apart so those commands do not
//! import one another).

use std::path::Path;

/// `kiln up --build`: builds what `from` names before serving it; a bare
/// `.wasm` or a registry reference has nothing to build.
pub fn build_before_up(from: Option<&Path>) -> anyhow::Result<()> {
    if from.is_some_and(|p| p.is_file() && p.extension().is_some_and(|e| e == "wasm")) {
        println!("Nothing to build for a bare .wasm file");
        return Ok(());
    }
    if from.is_some_and(|p| !p.exists()) {
        // Not a local path (a registry reference, or a typo `kiln up` reports).
        println!("Nothing to build: not a local application");
        return Ok(());
    }
    let manifest_path = kiln_build::manifest_path(from)?;
    build_manifest(&manifest_path, &[])
}

/// Builds the components of the manifest at `manifest_path` (all when
/// `components` is empty).
pub fn build_manifest(manifest_path: &Path, components: &[String]) -> anyhow::Result<()> {
    let manifest = kiln_manifest::parse_file(manifest_path)?;
    kiln_build::build(manifest_path, &manifest, components)?;
    println!("Build finished");
    Ok(())
}
