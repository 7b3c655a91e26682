//! Engine settings and their translation into a `wasmtime::Config`.

use std::time::Duration;

use wasmtime::{InstanceAllocationStrategy, PoolingAllocationConfig};

/// Settings for [`crate::KilnEngine`]. `Default` gives serving defaults.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Use the pooling instance allocator (falls back automatically).
    pub pooling: bool,
    /// How often the epoch advances; guests yield to the scheduler once per tick.
    pub epoch_tick: Duration,
    /// Instances that may be alive at once, across all apps (pool size).
    pub max_instances: u32,
    /// Largest linear memory one instance may grow to, in bytes; growth
    /// beyond it fails inside the guest (`memory.grow` returns -1).
    pub max_instance_memory: u64,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            pooling: std::env::var("KILN_POOLING").map(|v| v != "0").unwrap_or(true),
            epoch_tick: Duration::from_millis(10),
            max_instances: 1000,
            max_instance_memory: 512 << 20,
            cache_dir: crate::CompileCache::default_dir(),
        }
    }
}

impl EngineConfig {
    pub(crate) fn wasmtime_config(&self, pooling: bool) -> wasmtime::Config {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        // WASI 0.3 (`wasi:http/handler@0.3.x`) components use the async ABI,
        // `stream` and `future`; Preview 2 components are unaffected by it.
        config.concurrency_support(true);
        config.wasm_component_model_async(true);
        config.epoch_interruption(true);
        config.memory_init_cow(true);
        config.parallel_compilation(true);
        if pooling {
            let mut pool = PoolingAllocationConfig::default();
            // Sized for SDK-built guests: CPython and SpiderMonkey components
            // carry several core instances, large tables and big vmctx data.
            pool.total_component_instances(self.max_instances)
                .total_core_instances(self.max_instances * 4)
                .total_memories(self.max_instances * 2)
                .total_tables(self.max_instances * 4)
                .total_stacks(self.max_instances)
                .max_core_instances_per_component(64)
                .max_memories_per_component(8)
                .max_tables_per_component(16)
                .max_memories_per_module(2)
                .max_tables_per_module(4)
                .table_elements(100_000)
                .max_component_instance_size(4 << 20)
                .max_core_instance_size(4 << 20)
                .max_memory_size(self.max_instance_memory as usize)
                .max_unused_warm_slots(100)
                // Reset the first pages of a slot with memset rather than
                // madvise: every madvise costs TLB-shootdown IPIs on all
                // cores, the largest per-request cost in profiles.
                .linear_memory_keep_resident(1 << 20)
                .table_keep_resident(64 << 10)
                .async_stack_keep_resident(64 << 10);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        } else {
            // The fallback exists for hosts short of address space, where the
            // default 4 GiB-per-memory reservation fails too: reserve little
            // and let memories move as they grow (explicit bounds checks).
            config
                .memory_reservation(0)
                .memory_guard_size(64 << 10)
                .memory_reservation_for_growth(16 << 20);
        }
        config
    }
}
