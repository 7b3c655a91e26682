#!/usr/bin/env bash
# Outbound HTTP benchmark: requests/second through a guest that fetches from
# a local upstream for every request (`spin-rust-outbound`'s
# `GET /fetch?url=…`: fresh instance, one outbound HTTP/1.1 request over a
# pooled connection, body relayed), then the same guest fetching from its own app
# in-process (a relative URL, no network hop). The upstream is a second
# `kiln up` answering a static response, so it is never the bottleneck the
# guest is measured against. `wrk -t2 -c32 -d10s` each; only 127.0.0.1.
#
#   bash scripts/bench/outbound-http.sh
#
# Needs `wrk` (apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

cargo build --release -p kiln >&2
kiln="$CARGO_TARGET_DIR/release/kiln"
guests=$(bash scripts/build-guests.sh | tail -n 1)

port="${BENCH_PORT:-3921}"
upstream_port="${BENCH_UPSTREAM_PORT:-3922}"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
mkdir -p "$work/upstream" "$work/app"
cat >"$work/upstream/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "upstream"
[[trigger.http]]
route = "/data"
static_response = { body = "upstream says hi" }
TOML
cat >"$work/app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "outbound-bench"
[[trigger.http]]
route = "/..."
component = "outbound"
[component.outbound]
source = "$guests/spin_rust_outbound.wasm"
allowed_outbound_hosts = ["http://127.0.0.1:$upstream_port", "http://self"]
TOML

"$kiln" up -f "$work/upstream" --listen "127.0.0.1:$upstream_port" --quiet >"$work/upstream.out" 2>&1 &
pids+=($!)
"$kiln" up -f "$work/app" --listen "127.0.0.1:$port" --quiet >"$work/app.out" 2>&1 &
pids+=($!)
fetch="http://127.0.0.1:$port/fetch?url=http%3A%2F%2F127.0.0.1%3A$upstream_port%2Fdata"
until curl -fs -o /dev/null "$fetch"; do
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { cat "$work"/*.out >&2; exit 1; }; done
  sleep 0.05
done
echo "== upstream alone: wrk -t2 -c32 -d10s GET /data (static response)"
wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$upstream_port/data"
echo "== guest fetching from the upstream: wrk -t2 -c32 -d10s GET /fetch?url=http://127.0.0.1:$upstream_port/data"
wrk -t2 -c32 -d10s --latency "$fetch"
echo "== guest fetching /hello from its own app in-process: wrk -t2 -c32 -d10s GET /fetch?url=/hello"
wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/fetch?url=%2Fhello"
