//! Progress on push and pull: an `indicatif` bar when stderr is a terminal,
//! plain lines otherwise (logs and CI output stay readable).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Reports bytes moved for one push or pull.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Starts reporting `verb` (`Pushing`, `Pulling`) of `total` bytes for `what`.
    pub fn start(verb: &str, what: &str, total: u64, quiet: bool) -> Self {
        if !quiet && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("{verb} {what}"));
            return Self { bar: Some(bar), quiet };
        }
        if !quiet {
            eprintln!("{verb} {what} ({})", human(total));
        }
        Self { bar: None, quiet }
    }

    /// Adds `n` bytes moved.
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// One blob finished: `action` is what happened (`uploaded`, `already present`, …).
    pub fn blob(&self, digest: &str, size: u64, action: &str) {
        let short = digest.get(..19).unwrap_or(digest);
        match &self.bar {
            Some(bar) => bar.println(format!("  {short}… {} {action}", human(size))),
            None if !self.quiet => eprintln!("  {short}… {} {action}", human(size)),
            None => {}
        }
    }

    /// Ends the bar (leaving the final line) or prints `message`.
    pub fn finish(self, message: &str) {
        match self.bar {
            Some(bar) => bar.finish_with_message(message.to_string()),
            None if !self.quiet => eprintln!("{message}"),
            None => {}
        }
    }
}

/// `1.2 MB`-style sizes.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::human(512), "512 B");
        assert_eq!(super::human(5_200_000), "5.2 MB");
    }
}
