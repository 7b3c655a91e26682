#!/usr/bin/env bash
# `kiln watch` turnaround: time from saving a change to the example app's
# Rust source to the first response showing it (cargo rebuild of the guest,
# warm; then restart and first request), over a few edits.
#
#   bash scripts/bench/watch.sh            # builds what it needs, prints figures
#   KILN=target/debug/kiln bash scripts/bench/watch.sh
#
# Works on a copy of examples/hello-rust in a temporary folder. Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
rustup target add wasm32-wasip2 >&2
# KILN=path/to/kiln uses that binary instead of building a release one.
if [ -z "${KILN:-}" ]; then
  cargo build --release -p kiln >&2
fi
kiln="${KILN:-$CARGO_TARGET_DIR/release/kiln}"

port="${BENCH_PORT:-3927}"
app=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -INT $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$app"' EXIT
cp -r examples/hello-rust/. "$app/"
rm -rf "$app/target"
# The guest's own target folder, kept between runs so rebuilds are warm.
export GUEST_TARGET="$HOME/.cache/kiln/bench-watch-target"
sed -i "s|^source = .*|source = \"$GUEST_TARGET/wasm32-wasip2/release/hello_rust.wasm\"|; s|^command = .*|command = \"CARGO_TARGET_DIR='$GUEST_TARGET' cargo build --target wasm32-wasip2 --release\"|" "$app/spin.toml"
(cd "$app" && env CARGO_TARGET_DIR="$GUEST_TARGET" cargo build --target wasm32-wasip2 --release >&2)

"$kiln" watch -f "$app" -- --listen "127.0.0.1:$port" --quiet >"$app/watch.out" 2>"$app/watch.err" &
pid=$!
until curl -fs "http://127.0.0.1:$port/x" | grep -q "Hello from Kiln"; do
  kill -0 $pid 2>/dev/null || { cat "$app/watch.err" >&2; exit 1; }
  sleep 0.05
done

for i in 1 2 3; do
  start=$(date +%s%N)
  sed -i "s|Hello from Kiln[^!]*!|Hello from Kiln edit $i!|" "$app/src/lib.rs"
  until curl -fs "http://127.0.0.1:$port/x" 2>/dev/null | grep -q "edit $i!"; do
    kill -0 $pid 2>/dev/null || { cat "$app/watch.err" >&2; exit 1; }
    sleep 0.05
  done
  end=$(date +%s%N)
  echo "edit $i: change saved -> new response in $(( (end - start) / 1000000 )) ms"
done
