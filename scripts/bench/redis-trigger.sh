#!/usr/bin/env bash
# Redis trigger benchmark: messages handled per second. A Redis-only app
# (the `spin-rust-redis` trigger fixture, one component, which RPUSHes each
# payload to a list through outbound Redis) is served by `kiln up`; N
# messages are published as fast as `redis-cli` sends them, and the clock
# stops when the list holds all N (every message ran in a fresh instance).
#
#   bash scripts/bench/redis-trigger.sh      # N=5000 by default
#
# Needs `redis-cli` and Redis on 127.0.0.1:6379 (it uses database 13, key
# `kiln-bench-trigger`, channel `kiln-bench`). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v redis-cli >/dev/null || { echo "redis-cli is required: apt-get install redis-tools" >&2; exit 1; }
n="${N:-5000}"
rc() { redis-cli -h 127.0.0.1 -p 6379 -n 13 "$@"; }

# KILN_BIN=path/to/kiln skips the release build (e.g. a debug build).
kiln="${KILN_BIN:-}"
if [ -z "$kiln" ]; then
  cargo build --release -p kiln >&2
  kiln="$CARGO_TARGET_DIR/release/kiln"
fi
guests=$(bash scripts/build-guests.sh | tail -n 1)

app=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$app"' EXIT
cat >"$app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "redis-trigger-bench"
[application.trigger.redis]
address = "redis://127.0.0.1:6379/13"
[[trigger.redis]]
channel = "kiln-bench"
component = "sink"
[component.sink]
source = "$guests/spin_rust_redis_trigger.wasm"
allowed_outbound_hosts = ["redis://127.0.0.1:6379"]
[component.sink.variables]
address = "redis://127.0.0.1:6379/13"
list = "kiln-bench-trigger"
TOML

rc DEL kiln-bench-trigger >/dev/null
KILN_LOG=info "$kiln" up -f "$app" --quiet >"$app/kiln.out" 2>"$app/kiln.err" &
pid=$!
until grep -qs "subscribed to Redis" "$app/kiln.err"; do
  kill -0 $pid 2>/dev/null || { cat "$app/kiln.err" >&2; exit 1; }
  sleep 0.05
done
# Warm up (first instantiation, connection cache).
rc PUBLISH kiln-bench warmup >/dev/null
until [ "$(rc LLEN kiln-bench-trigger)" -ge 1 ]; do sleep 0.01; done
rc DEL kiln-bench-trigger >/dev/null

start=$(date +%s.%N)
for ((i = 0; i < n; i++)); do echo "PUBLISH kiln-bench message-$i"; done | rc >/dev/null
published=$(date +%s.%N)
until [ "$(rc LLEN kiln-bench-trigger)" -ge "$n" ]; do
  kill -0 $pid 2>/dev/null || { cat "$app/kiln.err" >&2; exit 1; }
  sleep 0.01
done
end=$(date +%s.%N)
rc DEL kiln-bench-trigger >/dev/null
awk -v n="$n" -v s="$start" -v p="$published" -v e="$end" 'BEGIN {
  printf "== %d messages: published in %.2fs, all handled after %.2fs: %.0f messages/second\n", n, p - s, e - s, n / (e - s)
}'
