//! Which labels one component may open.

use std::collections::HashSet;
use std::sync::Arc;

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

/// A shared manager `M` seen by one component: only the labels its
/// [`Grants`] allow.
#[derive(Debug)]
pub struct Granted<M> {
    manager: Arc<M>,
    grants: Grants,
}

// Derived `Clone` would needlessly require `M: Clone`.
impl<M> Clone for Granted<M> {
    fn clone(&self) -> Self {
        Self {
            manager: Arc::clone(&self.manager),
            grants: self.grants.clone(),
        }
    }
}

impl<M> Granted<M> {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<M>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            manager,
            grants: Grants::new(allowed),
        }
    }

    /// The manager, when the component listed `label`: Spin checks the
    /// grant before whether the label exists.
    pub fn manager_for(&self, label: &str) -> Option<&M> {
        self.grants.allows(label).then_some(&*self.manager)
    }

    /// Whether the component listed `label`.
    pub fn is_allowed(&self, label: &str) -> bool {
        self.grants.allows(label)
    }
}
