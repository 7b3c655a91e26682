#!/usr/bin/env bash
# Registry benchmark: `kiln registry push` and `pull` times for a ~5 MB app
# (the Spin Rust SDK guest plus 4.8 MB of static files in 12 data layers)
# against a local `docker-registry` (Debian's CNCF distribution server):
# first push, a second push (nothing new to upload), pull into an empty
# cache, and a pull with everything cached. Each figure is the median of
# RUNS (default 5) runs.
#
#   bash scripts/bench/registry.sh
#   KILN_PROFILE=dev bash scripts/bench/registry.sh   # the debug build (dependencies
#                                                     # are optimised in it too)
#
# Needs docker-registry (apt-get install docker-registry). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs="${RUNS:-5}"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v docker-registry >/dev/null || { echo "docker-registry is required: apt-get install docker-registry" >&2; exit 1; }
profile="${KILN_PROFILE:-release}"
cargo build --profile "$profile" -p kiln >&2
kiln="$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo "$profile")/kiln"
guests=$(bash scripts/build-guests.sh | tail -1)

work=$(mktemp -d)
trap 'bash "$root/scripts/registry.sh" stop "$work/reg" 2>/dev/null || true; rm -rf "$work"' EXIT
addr=$(bash scripts/registry.sh start "$work/reg")

app="$work/app"
mkdir -p "$app/static"
cp "$guests/spin_rust_http_wasip2.wasm" "$app/web.wasm"
for i in $(seq 1 12); do head -c 400000 /dev/urandom >"$app/static/asset$i.bin"; done
cat >"$app/spin.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
files = ["static/*"]
TOML
size=$(du -sb "$app" | cut -f1)

# Prints the wall time of "$@" in milliseconds (output discarded).
ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

first=(); again=(); cold=(); warm=()
for i in $(seq 1 "$runs"); do
  ref="$addr/bench$i:v1"
  cache="$work/cache$i"
  first+=("$(ms env KILN_CACHE_DIR="$cache" "$kiln" registry push -f "$app" "$ref")")
  again+=("$(ms env KILN_CACHE_DIR="$cache" "$kiln" registry push -f "$app" "$ref")")
  cold+=("$(ms env KILN_CACHE_DIR="$cache" "$kiln" registry pull "$ref")")
  warm+=("$(ms env KILN_CACHE_DIR="$cache" "$kiln" registry pull "$ref")")
done

echo "== app: $((size / 1000)) kB (1 Wasm layer, 12 data layers); $profile build; $runs runs, median"
echo "push (first, every blob uploaded):   $(printf '%s\n' "${first[@]}" | median) ms"
echo "push (again, nothing to upload):     $(printf '%s\n' "${again[@]}" | median) ms"
echo "pull (empty cache):                  $(printf '%s\n' "${cold[@]}" | median) ms"
echo "pull (everything cached):            $(printf '%s\n' "${warm[@]}" | median) ms"
