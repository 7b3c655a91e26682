//! Where component output goes.

use std::path::PathBuf;

/// Where component output goes.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Folder for `<component>_stdout.txt` / `_stderr.txt`; `None` writes no files.
    pub dir: Option<PathBuf>,
    /// Echo no component output to the console.
    pub quiet: bool,
    /// Echo only these components (all when empty).
    pub follow: Vec<String>,
}

impl LogOptions {
    /// Whether component `id`'s output is echoed to the console.
    pub fn echo(&self, id: &str) -> bool {
        !self.quiet && (self.follow.is_empty() || self.follow.iter().any(|f| f == id))
    }
}
