#!/usr/bin/env bash
# Key-value benchmark: get/set operations per second from inside a guest
# (the `spin-rust-state` fixture's `/kv-bench` route times N sets and N gets
# of 64-byte values over 100 keys), for the default SQLite-file store and
# for a Redis store; then requests/second with `wrk -t2 -c32 -d10s` for one
# `get` per request (fresh instance each) against both.
#
#   bash scripts/bench/key-value.sh        # OPS=20000 by default
#
# Needs `wrk` (apt-get install wrk) and Redis on 127.0.0.1:6379 (it uses
# database 14, writing keys `bench-0` … `bench-99` there). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
ops="${OPS:-20000}"

cargo build --release -p kiln >&2
kiln="$CARGO_TARGET_DIR/release/kiln"
guests=$(bash scripts/build-guests.sh | tail -n 1)

port="${BENCH_PORT:-3918}"
app=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$app"' EXIT
cat >"$app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "kv-bench"
[[trigger.http]]
route = "/..."
component = "state"
[component.state]
source = "$guests/spin_rust_state.wasm"
key_value_stores = ["default", "redis"]
TOML
cat >"$app/runtime-config.toml" <<TOML
[key_value_store.redis]
type = "redis"
url = "redis://127.0.0.1:6379/14"
TOML

"$kiln" up -f "$app" --listen "127.0.0.1:$port" --quiet \
  --runtime-config-file "$app/runtime-config.toml" >"$app/kiln.out" 2>"$app/kiln.err" &
pid=$!
until curl -fs -o /dev/null -X PUT --data v "http://127.0.0.1:$port/kv/default/warmup"; do
  kill -0 $pid 2>/dev/null || { cat "$app/kiln.err" >&2; exit 1; }
  sleep 0.05
done

for store in default redis; do
  echo "== $store store, $ops sets then $ops gets inside one guest call:"
  curl -fsS -X POST "http://127.0.0.1:$port/kv-bench/$store?ops=$ops"; echo
done
for store in default redis; do
  echo "== wrk -t2 -c32 -d10s GET /kv/$store/bench-1 (one get per request, fresh instance each)"
  wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/kv/$store/bench-1"
done
kill -INT $pid; wait $pid || true; pid=
