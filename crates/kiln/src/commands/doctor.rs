//! `kiln doctor`: find common problems and say how to fix them.

use std::path::PathBuf;

use clap::Args;

/// Examples shown by `kiln doctor --help`.
pub const EXAMPLES: &str = "Examples:
  kiln doctor                                 check ./spin.toml and what it refers to
  kiln doctor -f apps/shop                    check apps/shop/spin.toml";

/// Arguments of `kiln doctor`.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The application: a manifest file or a folder containing spin.toml.
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR")]
    from: Option<PathBuf>,
}

/// Runs `kiln doctor`: prints every problem with its fix; fails if any.
pub fn run(args: DoctorArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let report = kiln_build::doctor::diagnose(args.from.as_deref());
    let mut out = std::io::stdout().lock();
    if let Some(path) = &report.manifest_path {
        writeln!(out, "Checked {}", path.display())?;
    }
    for finding in &report.findings {
        writeln!(out, "problem: {}", finding.problem)?;
        writeln!(out, "    fix: {}", finding.fix)?;
    }
    for note in &report.notes {
        writeln!(out, "   note: {note}")?;
    }
    match report.findings.len() {
        0 => {
            writeln!(out, "No problems found")?;
            Ok(())
        }
        1 => anyhow::bail!("kiln doctor found 1 problem"),
        n => anyhow::bail!("kiln doctor found {n} problems"),
    }
}
