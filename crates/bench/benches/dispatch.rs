//! Instantiate + handle + drop for one request, no network: the per-request
//! cost of Kiln's hot path (routing, a fresh store and instance from the
//! pre-linked component, the guest's handler, the response body collected).
//!
//!   cargo bench -p kiln-bench --bench dispatch
//!
//! Guests come from `scripts/build-guests.sh` (`$KILN_BENCH_GUESTS`, else
//! ~/.cache/kiln/guests) and `examples/hello-rust` (built for
//! wasm32-wasip2); a missing one is skipped with a message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use kiln_engine::{EngineConfig, KilnEngine};
use kiln_instance::TriggerContext;
use kiln_trigger_http::{HttpTrigger, LogOptions};
use kiln_world::{AppCapabilities, CapabilityOptions};

fn guests_dir() -> PathBuf {
    std::env::var_os("KILN_BENCH_GUESTS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/kiln/guests")
    })
}

/// The guests benchmarked: (name, wasm file).
fn guests() -> Vec<(&'static str, PathBuf)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    vec![
        ("spin-sdk-hello", repo.join("examples/hello-rust/target/wasm32-wasip2/release/hello_rust.wasm")),
        ("wasi-http-hello", guests_dir().join("wasi_http_hello.wasm")),
        ("spin-sdk-wasip1-componentized", guests_dir().join("spin_rust_http_wasip1.wasm")),
    ]
}

struct Prepared {
    trigger: Arc<HttpTrigger>,
    // Kept alive as long as the trigger.
    _engine: KilnEngine,
    _app: kiln_app::App,
    _dir: tempfile::TempDir,
}

async fn prepare(wasm: &Path) -> anyhow::Result<Prepared> {
    let dir = tempfile::tempdir()?;
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"bench\"\n[[trigger.http]]\nroute = \"/...\"\n\
         component = \"hello\"\n[component.hello]\nsource = {:?}\n",
        wasm.display().to_string()
    );
    std::fs::write(dir.path().join("spin.toml"), manifest)?;
    let app = kiln_app::App::load(dir.path())?;
    let options = CapabilityOptions {
        state_dir: dir.path().join(".spin"),
        runtime_config: kiln_runtime_config::RuntimeConfig::default(),
        cli_variables: Vec::new(),
        dotenv_path: None,
        ..Default::default()
    };
    let caps = AppCapabilities::new(&app.manifest, options).await?;
    let engine = KilnEngine::new(EngineConfig::default())?;
    let logs = LogOptions { dir: None, quiet: true, follow: Vec::new() };
    let linker = kiln_world::linker::base_linker(engine.wasmtime()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let ctx = TriggerContext { app: &app, engine: &engine, linker: &linker, caps: &caps, logs: &logs, limits: engine.instance_limits(None) };
    let trigger = Arc::new(HttpTrigger::prepare(&ctx, Default::default(), Default::default())?);
    Ok(Prepared { trigger, _engine: engine, _app: app, _dir: dir })
}

async fn one_request(trigger: &HttpTrigger) -> usize {
    let client: SocketAddr = ([127, 0, 0, 1], 40000).into();
    let local: SocketAddr = ([127, 0, 0, 1], 3000).into();
    let body = http_body_util::Empty::new().map_err(|never: std::convert::Infallible| match never {}).boxed_unsync();
    let request = http::Request::get("http://127.0.0.1:3000/hello").body(body).expect("a valid request");
    let response = trigger.handle(request, client, local).await;
    assert_eq!(response.status(), 200, "the guest answered {}", response.status());
    match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes().len(),
        Err(err) => panic!("body failed: {err}"),
    }
}

fn dispatch(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut group = c.benchmark_group("instantiate+handle+drop");
    for (name, wasm) in guests() {
        if !wasm.is_file() {
            eprintln!("skipping {name}: {} is not built", wasm.display());
            continue;
        }
        let prepared = match runtime.block_on(prepare(&wasm)) {
            Ok(p) => p,
            Err(err) => {
                eprintln!("skipping {name}: {err:#}");
                continue;
            }
        };
        let trigger = prepared.trigger.clone();
        group.bench_function(name, |b| b.to_async(&runtime).iter(|| one_request(&trigger)));
    }
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
