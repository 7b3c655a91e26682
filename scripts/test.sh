#!/usr/bin/env bash
# Runs every test: unit tests of each crate and the end-to-end tests that
# build real guests (scripts/build-guests.sh) and serve them with `kiln up`.
#
# The build shares one target folder across clones (CARGO_TARGET_DIR, default
# ~/.cache/kiln/target) so CI and local runs reuse compiled wasmtime.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

rustup target add wasm32-wasip1 wasm32-wasip2 >&2

# In CI every guest is required: a Python or JS toolchain that fails to
# install is a failure there, not a skipped test.
if [ "${CI:-}" = "true" ]; then
  export KILN_GUESTS_REQUIRE_ALL=1
fi

# The registry tests run Debian's `docker-registry`; CI installs it when it
# can (root with apt), elsewhere the tests say how.
if [ "${CI:-}" = "true" ] && ! command -v docker-registry >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y docker-registry >&2 || true
  fi
fi

# The containerd shim (crates/shim) links libseccomp and libdbus and its
# protocol crates want protoc: CI installs what is missing when it can.
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in protobuf-compiler pkg-config libseccomp-dev libdbus-1-dev runc; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 || true
  fi
fi

# Guests first, once, so test processes find them built (and failures here are
# reported as what they are, not as a failing test).
bash scripts/build-guests.sh >/dev/null

status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@" || status=$?
else
  echo "cargo-nextest not found; falling back to cargo test" >&2
  cargo test --workspace --no-fail-fast "$@" || status=$?
fi

# The shim under a real containerd (root only; skips elsewhere, fails
# under CI=true when it cannot run). KILN_SKIP_CONTAINERD=1 leaves it out.
if [ "${KILN_SKIP_CONTAINERD:-0}" != "1" ]; then
  bash scripts/containerd-e2e.sh || status=$?
fi

# A short smoke run of every fuzz target (parsers and the HTTP front end);
# KILN_SKIP_FUZZ=1 leaves it out of a local run.
if [ "${KILN_SKIP_FUZZ:-0}" != "1" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash scripts/fuzz.sh || status=$?
fi
exit "$status"
