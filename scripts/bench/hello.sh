#!/usr/bin/env bash
# Hello-world benchmark: time from `kiln up` to the first answered request
# (cold: empty compile cache; warm: cache filled), then throughput and latency
# with `wrk -t2 -c32 -d10s` against the Spin Rust SDK example app.
#
#   bash scripts/bench/hello.sh            # builds what it needs, prints figures
#   KILN=/path/to/kiln bash scripts/bench/hello.sh   # measures that binary instead
#                                                    # (e.g. an older build, for before/after)
#
# Needs `wrk` (apt-get install wrk). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

rustup target add wasm32-wasip2 >&2
if [ -n "${KILN:-}" ]; then
  kiln=$KILN
else
  cargo build --release -p kiln >&2
  kiln="$CARGO_TARGET_DIR/release/kiln"
fi
(cd examples/hello-rust && env -u CARGO_TARGET_DIR cargo build --target wasm32-wasip2 --release >&2)

port="${BENCH_PORT:-3917}"
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "something already listens on 127.0.0.1:$port; set BENCH_PORT" >&2
  exit 1
fi
cache=$(mktemp -d)
logs=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$cache" "$logs"' EXIT

# Sets `elapsed_ms` to the time from starting `kiln up` to the first 200
# from /hello, leaving the server running as `pid`.
first_response() {
  local start end
  start=$(date +%s%N)
  KILN_CACHE_DIR="$cache" "$kiln" up -f examples/hello-rust --listen "127.0.0.1:$port" \
    --quiet --log-dir "$logs" >"$logs/kiln.out" 2>"$logs/kiln.err" &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/hello"; do
    kill -0 $pid 2>/dev/null || { echo "kiln exited" >&2; exit 1; }
    sleep 0.002
  done
  end=$(date +%s%N)
  elapsed_ms=$(( (end - start) / 1000000 ))
}

first_response; cold=$elapsed_ms; kill -INT $pid; wait $pid || true
first_response; warm=$elapsed_ms

echo "== kiln up -> first response: cold (empty compile cache) ${cold} ms, warm ${warm} ms"
echo "== wrk -t2 -c32 -d10s http://127.0.0.1:$port/hello (fresh instance per request)"
wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/hello"
kill -0 $pid 2>/dev/null || { echo "kiln died during the run:" >&2; cat "$logs/kiln.err" >&2; exit 1; }
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "== kiln resident memory after the run: $((rss / 1024)) MiB"
kill -INT $pid; wait $pid || true
