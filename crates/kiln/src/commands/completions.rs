//! `kiln completions`: shell completion scripts.

use clap::Args;
use clap_complete::Shell;

/// Examples shown by `kiln completions --help`.
pub const EXAMPLES: &str = "Examples:
  kiln completions bash > ~/.local/share/bash-completion/completions/kiln
  kiln completions zsh > \"${fpath[1]}/_kiln\"
  kiln completions fish > ~/.config/fish/completions/kiln.fish";

/// Arguments of `kiln completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script for `command` (the whole `kiln` CLI) to stdout.
pub fn run(args: CompletionsArgs, command: &mut clap::Command) -> anyhow::Result<()> {
    use std::io::Write;
    // Into memory first: clap_complete panics on a failed write (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, command, "kiln", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write the script"))
        }
        _ => Ok(()),
    }
}
