//! `kiln templates list` and `kiln templates install`.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// `kiln templates --help` examples.
pub const EXAMPLES: &str = "Examples:
  kiln templates list
  kiln templates install --dir ./my-templates            a template folder, or a folder of them
  kiln templates install --dir ./my-templates --upgrade  replace installed versions
Installed templates go to $KILN_DATA_DIR/templates (default ~/.local/share/kiln/templates).";

/// Arguments of `kiln templates`.
#[derive(clap::Args, Debug)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    command: TemplatesCommand,
}

#[derive(clap::Subcommand, Debug)]
enum TemplatesCommand {
    /// List the built-in and installed templates.
    #[command(after_help = "Example: kiln templates list")]
    List,
    /// Install templates from a folder into the user templates folder.
    #[command(after_help = "Example: kiln templates install --dir ./my-templates --upgrade")]
    Install {
        /// A template folder (content/ + metadata/spin-template.toml), or a
        /// folder of them (or with them under templates/).
        #[arg(long = "dir", value_name = "PATH")]
        dir: PathBuf,
        /// Replace templates that are installed already.
        #[arg(long)]
        upgrade: bool,
    },
}

/// Runs `kiln templates`.
pub fn run(args: TemplatesArgs) -> Result<()> {
    let store = super::new::store();
    match args.command {
        TemplatesCommand::List => {
            let list = store.list();
            let width = list.iter().map(|s| s.id.len()).max().unwrap_or(0);
            for summary in list {
                let origin = if summary.installed {
                    " [installed]"
                } else {
                    ""
                };
                println!("{:width$}  {}{origin}", summary.id, summary.description);
            }
            Ok(())
        }
        TemplatesCommand::Install { dir, upgrade } => {
            let ids = store
                .install(&dir, upgrade)
                .with_context(|| format!("installing templates from {}", dir.display()))?;
            let into = store
                .user_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            for id in ids {
                println!("Installed {id} into {into}");
            }
            Ok(())
        }
    }
}
