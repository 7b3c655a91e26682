//! Per-instance limits: how large its memories may grow and how long it may
//! run.
//!
//! Run time is bounded twice. Epoch interruption stops a guest spinning in
//! WebAssembly: the store's epoch callback yields to the async runtime on
//! every tick and, once the deadline has passed, interrupts the guest with
//! `Trap::Interrupt`. A guest blocked in a host call (a sleep, a slow
//! backend) runs no WebAssembly and sees no epoch, so executors also wrap
//! the instance's whole run in [`Deadline::run`], which drops it — store,
//! memories and pool slot — when the deadline passes.

use std::future::Future;
use std::time::{Duration, Instant};

use wasmtime::{Store, Trap, UpdateDeadline};

/// Limits every instance gets; see [`crate::KilnEngine::instance_limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceLimits {
    /// Largest size, in bytes, each linear memory of the instance may grow to.
    pub max_memory: usize,
    /// How long the instance may run, from store creation; `None`: no bound.
    pub timeout: Option<Duration>,
}

impl Default for InstanceLimits {
    fn default() -> Self {
        let config = crate::EngineConfig::default();
        Self {
            max_memory: config.max_instance_memory as usize,
            timeout: None,
        }
    }
}

impl InstanceLimits {
    /// Installs the epoch callback on a fresh `store`: yield to the scheduler
    /// once per tick (so a busy guest cannot starve the other requests on its
    /// worker thread) and interrupt the guest once the timeout has passed.
    /// Returns the deadline for [`Deadline::run`].
    pub fn arm<T: 'static>(&self, store: &mut Store<T>) -> Deadline {
        let deadline = Deadline(
            self.timeout
                .map(|timeout| (Instant::now() + timeout, timeout)),
        );
        let at = deadline.0.map(|(at, _)| at);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| match at {
            Some(at) if Instant::now() >= at => Ok(UpdateDeadline::Interrupt),
            _ => Ok(UpdateDeadline::Yield(1)),
        });
        deadline
    }
}

/// When an instance must be done, if ever.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline(Option<(Instant, Duration)>);

impl Deadline {
    /// No deadline.
    pub fn none() -> Self {
        Self(None)
    }

    /// Runs `work` (which owns the instance's store) until it finishes or the
    /// deadline passes; in the second case `work` is dropped and the result
    /// is a [`TimedOut`] error.
    pub async fn run<T>(
        self,
        work: impl Future<Output = wasmtime::Result<T>>,
    ) -> wasmtime::Result<T> {
        match self.0 {
            None => work.await,
            Some((at, timeout)) => match tokio::time::timeout_at(at.into(), work).await {
                Ok(result) => result,
                Err(_) => Err(wasmtime::Error::new(TimedOut(timeout))),
            },
        }
    }
}

/// The host stopped an instance that outlived its request timeout.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("request timeout: the instance was stopped after {0:?}")]
pub struct TimedOut(pub Duration);

/// Whether `err` means the instance was stopped for running too long (an
/// epoch interruption or a [`TimedOut`]), as opposed to a guest fault.
pub fn is_timeout(err: &wasmtime::Error) -> bool {
    err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) || err.is::<TimedOut>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngineConfig, KilnEngine};

    const TIMEOUT: Option<Duration> = Some(Duration::from_millis(200));

    fn engine() -> KilnEngine {
        let config = EngineConfig {
            pooling: false,
            cache_dir: None,
            max_instance_memory: 1 << 20,
            ..EngineConfig::default()
        };
        KilnEngine::new(config).expect("engine")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_spinning_guest_is_interrupted_at_its_deadline() {
        let engine = engine();
        let module = engine
            .load_module(b"(module (func (export \"spin\") (loop $l br $l)))")
            .expect("wat accepted");
        let mut store = Store::new(engine.wasmtime(), ());
        let deadline = engine.instance_limits(TIMEOUT).arm(&mut store);
        let result = deadline
            .run(async {
                let instance = wasmtime::Instance::new_async(&mut store, &module, &[]).await?;
                let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
                spin.call_async(&mut store, ()).await
            })
            .await;
        let err = result.expect_err("an endless loop cannot finish");
        assert!(
            is_timeout(&err),
            "interrupted, not some other fault: {err:#}"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_guest_waiting_on_the_host_is_dropped_at_its_deadline() {
        let engine = engine();
        let deadline = engine
            .instance_limits(TIMEOUT)
            .arm(&mut Store::new(engine.wasmtime(), ()));
        let err = deadline
            .run(std::future::pending::<wasmtime::Result<()>>())
            .await
            .expect_err("a pending future cannot finish");
        assert!(is_timeout(&err), "{err:#}");
        assert!(!is_timeout(&wasmtime::Error::new(
            Trap::UnreachableCodeReached
        )));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn pooled_memories_cannot_grow_past_the_limit() {
        let config = EngineConfig {
            pooling: true,
            cache_dir: None,
            max_instance_memory: 1 << 20,
            ..EngineConfig::default()
        };
        let engine = KilnEngine::new(config).expect("engine");
        if !engine.is_pooling() {
            eprintln!("SKIPPED: the pooling allocator is unavailable on this host");
            return;
        }
        let module = engine
            .load_module(b"(module (memory 1) (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))")
            .expect("wat accepted");
        let mut store = Store::new(engine.wasmtime(), ());
        engine.instance_limits(None).arm(&mut store);
        let instance = wasmtime::Instance::new_async(&mut store, &module, &[])
            .await
            .expect("instance");
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .expect("export");
        // 1 MiB is 16 pages: growing to 16 works, one page more fails in the guest.
        assert_eq!(grow.call_async(&mut store, 15).await.expect("grow"), 1);
        assert_eq!(
            grow.call_async(&mut store, 1).await.expect("grow"),
            -1,
            "growth past the limit fails"
        );
    }
}
