//! Labels, their backends, and the handles opened from them.

use std::future::Future;
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::OnceCell;

/// One defined label: its backend and, once opened, the handle.
struct Slot<B, H: ?Sized> {
    backend: B,
    handle: OnceCell<Arc<H>>,
}

/// An app's labels, each with a backend `B`, opened lazily into a shared
/// handle `H` (say `dyn Store`) and kept open.
pub struct LabelManager<B, H: ?Sized> {
    slots: IndexMap<String, Slot<B, H>>,
}

impl<B: std::fmt::Debug, H: ?Sized> std::fmt::Debug for LabelManager<B, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (label, slot) in &self.slots {
            map.entry(label, &slot.backend);
        }
        map.finish()
    }
}

impl<B, H: ?Sized> LabelManager<B, H> {
    /// A manager for these labels; nothing is opened yet.
    pub fn new(backends: IndexMap<String, B>) -> Self {
        let slots = backends
            .into_iter()
            .map(|(label, backend)| {
                let handle = OnceCell::new();
                (label, Slot { backend, handle })
            })
            .collect();
        Self { slots }
    }

    /// The handle for `label`, opened with `open` on first use. `missing`
    /// is the error for a label this manager does not have; an error from
    /// `open` is returned and the label is tried again on the next call.
    pub async fn open<'a, E, F, Fut>(&'a self, label: &str, missing: E, open: F) -> Result<Arc<H>, E>
    where
        F: FnOnce(&'a B) -> Fut,
        Fut: Future<Output = Result<Arc<H>, E>>,
    {
        let slot = self.slots.get(label).ok_or(missing)?;
        let handle = slot.handle.get_or_try_init(|| open(&slot.backend)).await?;
        Ok(Arc::clone(handle))
    }

    /// The defined labels, in the order given to [`LabelManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.slots.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn opens_once_and_retries_failures() {
        let manager: LabelManager<u32, u32> =
            LabelManager::new(IndexMap::from([("a".to_string(), 7), ("b".to_string(), 8)]));
        let opened = AtomicUsize::new(0);
        let open = |b: &u32| {
            opened.fetch_add(1, Ordering::SeqCst);
            let b = *b;
            async move { if b == 8 { Err("down") } else { Ok(Arc::new(b)) } }
        };
        assert_eq!(*manager.open("a", "none", open).await.unwrap(), 7);
        assert_eq!(*manager.open("a", "none", open).await.unwrap(), 7);
        assert_eq!(manager.open("b", "none", open).await.unwrap_err(), "down");
        assert_eq!(manager.open("b", "none", open).await.unwrap_err(), "down");
        assert_eq!(manager.open("c", "none", open).await.unwrap_err(), "none");
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        assert_eq!(manager.labels().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(format!("{manager:?}"), r#"{"a": 7, "b": 8}"#);
    }
}
