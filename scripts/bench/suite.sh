#!/usr/bin/env bash
# The benchmark suite: one run, one machine, every figure side by side.
#
#   bash scripts/bench/suite.sh              # everything below (~4 minutes)
#   SUITE_SKIP="criterion state" bash scripts/bench/suite.sh
#
# 1. hello world, `wrk -t2 -c32 -d10s`, fresh instance per request:
#      kiln   + examples/hello-rust (Spin Rust SDK)
#      kiln   + guests/wasi-http-hello (the same logic as a plain wasi:http component)
#      wasmtime serve + the same wasi-http-hello component
#      native hyper server (crates/bench, `native-hello`)
#    and the ratios kiln/wasmtime and kiln/native.
# 2. instantiate + handle + drop per request, no network (Criterion bench
#    `cargo bench -p kiln-bench --bench dispatch`).
# 3. process start -> first answered request, cold (empty compile cache) and
#    warm, for the Rust app and the Python (componentize-py) app.
# 4. resident memory: idle after start, and at the end of the wrk run.
# 5. ("state") the key-value and outbound-HTTP workloads: scripts/bench/key-value.sh
#    and scripts/bench/outbound-http.sh.
#
# Needs wrk (apt-get install wrk) and, for the wasmtime comparison, the
# wasmtime CLI 48 (`cargo install wasmtime-cli --version 48.0.8 --locked`;
# this script looks on PATH and in ~/.cache/kiln/wasmtime-cli/bin). A missing
# peer is reported and skipped. Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
skip=" ${SUITE_SKIP:-} "
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

rustup target add wasm32-wasip2 >&2
cargo build --release -p kiln -p kiln-bench >&2
kiln="$CARGO_TARGET_DIR/release/kiln"
native="$CARGO_TARGET_DIR/release/native-hello"
guests=$(bash scripts/build-guests.sh | tail -n 1)
(cd examples/hello-rust && env -u CARGO_TARGET_DIR cargo build --target wasm32-wasip2 --release >&2)
wasmtime_bin=$(command -v wasmtime || true)
[ -z "$wasmtime_bin" ] && [ -x "$HOME/.cache/kiln/wasmtime-cli/bin/wasmtime" ] && wasmtime_bin="$HOME/.cache/kiln/wasmtime-cli/bin/wasmtime"

port="${BENCH_PORT:-3931}"
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

busy() { curl -s -o /dev/null "http://127.0.0.1:$port/"; }
busy && { echo "something already listens on 127.0.0.1:$port; set BENCH_PORT" >&2; exit 1; }

# start_server NAME CMD...: runs CMD in the background as `pid`, waits for a
# 200 from /hello and sets `first_ms` to the time that took.
start_server() {
  local name=$1; shift
  local start end
  start=$(date +%s%N)
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/hello"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited:" >&2; cat "$work/$name.err" >&2; pid=; return 1
    fi
    sleep 0.002
  done
  end=$(date +%s%N)
  first_ms=$(( (end - start) / 1000000 ))
}

stop_server() {
  [ -n "$pid" ] || return 0
  # SIGTERM, not SIGINT: a non-interactive shell starts background jobs
  # with SIGINT ignored, so a server without its own handler (native-hello)
  # would never stop and `wait` would hang.
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  while busy; do sleep 0.05; done
}

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# run_wrk NAME: wrk against /hello; records rps, p50, p99 and RSS after.
declare -A RPS P50 P99 IDLE LOADED FIRST
run_wrk() {
  local name=$1 out
  IDLE[$name]=$(rss_mib "$pid")
  # A short warm-up so every peer is measured hot.
  wrk -t2 -c32 -d2s "http://127.0.0.1:$port/hello" >/dev/null
  out=$(wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/hello")
  RPS[$name]=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  P50[$name]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  P99[$name]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  [ -n "$errors" ] && echo "  $name: $errors" >&2
  LOADED[$name]=$(rss_mib "$pid")
  printf '  %-26s %8s req/s  p50 %-8s p99 %-8s RSS idle %s MiB, after load %s MiB\n' \
    "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "${IDLE[$name]}" "${LOADED[$name]}"
}

hello_app="$work/wasi-hello"
mkdir -p "$hello_app"
cat >"$hello_app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "wasi-hello"
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "$guests/wasi_http_hello.wasm"
TOML

echo "== 1. hello world: wrk -t2 -c32 -d10s, fresh instance per request"
start_server kiln-spin-sdk "$kiln" up -f examples/hello-rust --listen "127.0.0.1:$port" --quiet --log-dir "$work/logs"
run_wrk kiln-spin-sdk; stop_server
start_server kiln-wasi-http "$kiln" up -f "$hello_app" --listen "127.0.0.1:$port" --quiet --log-dir "$work/logs"
run_wrk kiln-wasi-http; stop_server
if [ -n "$wasmtime_bin" ]; then
  echo "  ($("$wasmtime_bin" --version))"
  # Defaults of `wasmtime serve`: pooling allocator, a fresh instance per request.
  start_server wasmtime-serve "$wasmtime_bin" serve --addr "127.0.0.1:$port" -S cli=y "$guests/wasi_http_hello.wasm"
  run_wrk wasmtime-serve; stop_server
else
  echo "  wasmtime serve: not installed (cargo install wasmtime-cli --version 48.0.8 --locked), skipped"
fi
start_server native-hyper "$native" "127.0.0.1:$port"
run_wrk native-hyper; stop_server

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
if [ -n "${RPS[wasmtime-serve]:-}" ]; then
  echo "  kiln/wasmtime (same wasi:http component): $(ratio "${RPS[kiln-wasi-http]}" "${RPS[wasmtime-serve]}")x;" \
    "kiln Spin SDK app / wasmtime: $(ratio "${RPS[kiln-spin-sdk]}" "${RPS[wasmtime-serve]}")x"
fi
echo "  kiln/native: $(ratio "${RPS[kiln-wasi-http]}" "${RPS[native-hyper]}")x (wasi:http component)," \
  "$(ratio "${RPS[kiln-spin-sdk]}" "${RPS[native-hyper]}")x (Spin SDK app)"

if [[ $skip != *" criterion "* ]]; then
  echo "== 2. instantiate + handle + drop, no network (Criterion)"
  KILN_BENCH_GUESTS="$guests" cargo bench -p kiln-bench --bench dispatch -- --noplot 2>/dev/null |
    grep -E "^[a-z].*|time:" || echo "  criterion bench failed" >&2
fi

echo "== 3. process start -> first response (cold = empty compile cache, warm = filled)"
first() { # NAME APP
  local cache="$work/cache-$1"
  mkdir -p "$cache"
  KILN_CACHE_DIR="$cache" start_server "$1-cold" "$kiln" up -f "$2" --listen "127.0.0.1:$port" --quiet --log-dir "$work/logs"
  local cold=$first_ms; stop_server
  local warm_runs=() i
  for i in 1 2 3; do
    KILN_CACHE_DIR="$cache" start_server "$1-warm" "$kiln" up -f "$2" --listen "127.0.0.1:$port" --quiet --log-dir "$work/logs"
    warm_runs+=("$first_ms"); stop_server
  done
  printf '  %-12s cold %5s ms   warm %s ms (three runs)\n' "$1" "$cold" "${warm_runs[*]}"
}
first rust examples/hello-rust
if [ -f "$guests/py_http.wasm" ]; then
  py_app="$work/py"
  mkdir -p "$py_app"
  cat >"$py_app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "py-hello"
[[trigger.http]]
route = "/..."
component = "py"
[component.py]
source = "$guests/py_http.wasm"
TOML
  first python "$py_app"
else
  echo "  python: py_http.wasm not built (componentize-py unavailable), skipped"
fi

echo "== 4. resident memory (MiB): idle after start / after the wrk run — see section 1"

if [[ $skip != *" state "* ]]; then
  echo "== 5. key-value and outbound HTTP workloads"
  BENCH_PORT=$((port + 1)) bash scripts/bench/key-value.sh 2>/dev/null | grep -E "^==|Requests/sec|ops/s|/s" || true
  BENCH_PORT=$((port + 2)) bash scripts/bench/outbound-http.sh 2>/dev/null | grep -E "^==|Requests/sec" || true
fi
