#!/usr/bin/env bash
# `kiln new` -> `kiln build` -> first answered request, with the http-rust
# template, timed per step. Two runs:
#   warm registry: crates already downloaded (~/.cargo/registry), the new
#                  app's own empty target/ (what a user sees on a second app);
#   warm target:   the app's target/ is a symlink to a folder a previous run
#                  filled (only the app's own crate compiles).
#
#   bash scripts/bench/new-to-first-response.sh
#   KILN_BIN=/path/to/kiln bash scripts/bench/new-to-first-response.sh   # skip building kiln
#
# Only talks to 127.0.0.1 (and crates.io if the registry is cold).
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
if [[ -z "${KILN_BIN:-}" ]]; then
  cargo build --release -p kiln >&2
  KILN_BIN="$CARGO_TARGET_DIR/release/kiln"
fi
rustup target add wasm32-wasip2 >&2

port="${BENCH_PORT:-3918}"
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "something already listens on 127.0.0.1:$port; set BENCH_PORT" >&2
  exit 1
fi
work=$(mktemp -d)
shared_target="$work/shared-target"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run NAME [shared]: new, build, up, first 200; prints the step times.
run() {
  local name="$1" shared="${2:-}" t0 t1 t2 t3
  cd "$work"
  t0=$(now_ms)
  "$KILN_BIN" new -t http-rust "$name" --accept-defaults --no-vcs >/dev/null
  t1=$(now_ms)
  if [[ -n "$shared" ]]; then
    mkdir -p "$shared_target"
    ln -s "$shared_target" "$name/target"
  fi
  (cd "$name" && env -u CARGO_TARGET_DIR "$KILN_BIN" build >"$work/$name.build.log" 2>&1) ||
    { cat "$work/$name.build.log" >&2; exit 1; }
  t2=$(now_ms)
  "$KILN_BIN" up -f "$name" --listen "127.0.0.1:$port" --quiet >"$work/$name.up.log" 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 $pid 2>/dev/null || { cat "$work/$name.up.log" >&2; exit 1; }
    sleep 0.005
  done
  t3=$(now_ms)
  kill -INT $pid; wait $pid || true; pid=
  echo "new $((t1 - t0)) ms, build $((t2 - t1)) ms, up -> first response $((t3 - t2)) ms, total $((t3 - t0)) ms"
  cd - >/dev/null
}

# Fill the registry (downloads) and the shared target once, untimed.
run warmup shared >/dev/null
echo "== warm registry, fresh target/: $(run fresh)"
echo "== warm target/ (shared):        $(run again shared)"
