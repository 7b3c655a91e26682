//! Which labels one component may open.

use std::collections::HashSet;

/// The labels a component's manifest lists (`key_value_stores`,
/// `sqlite_databases`).
#[derive(Debug, Clone, Default)]
pub struct Grants {
    allowed: HashSet<String>,
}

impl Grants {
    /// Grants for exactly these labels.
    pub fn new(allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            allowed: allowed.into_iter().collect(),
        }
    }

    /// Whether the component listed `label`.
    pub fn allows(&self, label: &str) -> bool {
        self.allowed.contains(label)
    }
}
