#!/usr/bin/env bash
# End to end through a real containerd: `kiln registry push` an app to a
# local registry, `ctr images pull` it, run it with `ctr run --runtime
# io.containerd.kiln.v1` (containerd-shim-kiln-v1), answer HTTP from it,
# stop it with SIGTERM and check it exits 0. A second container of the same
# image starts from the artifacts the shim's compile hook left in containerd.
#
#   bash scripts/containerd-e2e.sh
#
# Needs root (containerd), Debian's `docker-registry` and `runc`, and
# trixie's containerd (>= 1.7.7, fetched by scripts/lib/containerd.sh).
# Without root or containerd it skips with a message; under CI=true it fails
# instead. Everything containerd keeps lives in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
# shellcheck source=lib/containerd.sh
source scripts/lib/containerd.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"

log() { printf '[containerd-e2e] %s\n' "$*" >&2; }
skip() {
    if [ "${CI:-}" = "true" ]; then
        log "FAIL: $*"
        exit 1
    fi
    log "SKIP: $*"
    exit 0
}
fail() {
    log "FAIL: $*"
    exit 1
}

[ "$(id -u)" = "0" ] || skip "containerd needs root"
if ! command -v docker-registry >/dev/null || ! command -v runc >/dev/null; then
    if command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry runc >&2 || true
    fi
fi
command -v docker-registry >/dev/null || skip "Debian's docker-registry is not installed"

T="$(mktemp -d /tmp/kiln-containerd-e2e.XXXXXX)"
PIDS=()
cleanup() {
    local code=$?
    if [ -n "${CTR:-}" ]; then
        "${CTR[@]}" task kill -s SIGKILL kiln-e2e >/dev/null 2>&1 || true
        "${CTR[@]}" task kill -s SIGKILL kiln-e2e-2 >/dev/null 2>&1 || true
    fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$code" != 0 ] && [ -f "$T/containerd.log" ]; then
        log "containerd log (tail):"
        tail -n 40 "$T/containerd.log" >&2
    fi
    # Snapshots may still be mounted when containerd is killed mid-run.
    grep " $T/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

BIN="$(kiln_fetch_containerd "$T/apt")" || skip "cannot fetch containerd >= 1.7.7 (see above)"

log "building kiln and containerd-shim-kiln-v1"
cargo build -q -p kiln -p containerd-shim-kiln-v1 >&2
GUESTS="$(bash scripts/build-guests.sh | tail -n 1)"
mkdir -p "$T/shim"
# containerd finds runtime io.containerd.kiln.v1 as containerd-shim-kiln-v1 on its PATH.
ln -s "$CARGO_TARGET_DIR/debug/containerd-shim-kiln-v1" "$T/shim/containerd-shim-kiln-v1"
KILN="$CARGO_TARGET_DIR/debug/kiln"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # URL SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- a registry and an app in it -------------------------------------------
REG_PORT="$(free_port)"
cat >"$T/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$REG_PORT
YML
docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$REG_PORT/v2/" 20 || fail "the registry did not start"

mkdir -p "$T/app"
cp "$GUESTS/spin_rust_http_wasip2.wasm" "$T/app/web.wasm"
echo "Hello from a file in the image" >"$T/app/greeting.txt"
cat >"$T/app/spin.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "containerd-e2e"
version = "1.0.0"

[variables]
greeting = { default = "hello" }

[[trigger.http]]
route = "/..."
component = "web"

[component.web]
source = "web.wasm"
files = [{ source = "greeting.txt", destination = "/data/greeting.txt" }]
environment = { GREETING = "env from the manifest" }
[component.web.variables]
greeting = "{{ greeting }}"
TOML
IMAGE="127.0.0.1:$REG_PORT/kiln-e2e:v1"
KILN_CACHE_DIR="$T/kiln-cache" "$KILN" registry push -f "$T/app" "$IMAGE" >&2

# --- containerd --------------------------------------------------------------
SOCK="$T/containerd.sock"
cat >"$T/containerd.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
TOML
PATH="$T/shim:$BIN:$PATH" "$BIN/containerd" --config "$T/containerd.toml" --log-level debug >"$T/containerd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "containerd did not start"
CTR=("$BIN/ctr" --address "$SOCK" --namespace kiln-e2e)

log "ctr images pull $IMAGE"
"${CTR[@]}" images pull --plain-http "$IMAGE" >&2

# run_container NAME PORT [ENV...]: starts it in the background (in this
# shell, so `wait` gets its exit code) and sets CTR_PID.
run_container() {
    local name="$1" port="$2"
    shift 2
    local envs=(--env "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port")
    for e in "$@"; do envs+=(--env "$e"); done
    PATH="$T/shim:$BIN:$PATH" "${CTR[@]}" run --rm --net-host --runtime io.containerd.kiln.v1 \
        "${envs[@]}" "$IMAGE" "$name" / >"$T/$name.out" 2>&1 &
    CTR_PID=$!
    PIDS+=("$CTR_PID")
}

check() { # PATH EXPECTED
    local got
    got="$(curl -fsS "http://127.0.0.1:$PORT$1")" || fail "GET $1 failed"
    [ "$got" = "$2" ] || fail "GET $1: expected '$2', got '$got'"
    log "GET $1 -> $got"
}

PORT="$(free_port)"
started=$(date +%s%N)
run_container kiln-e2e "$PORT" SPIN_VARIABLE_GREETING=from-the-pod
wait_for "http://127.0.0.1:$PORT/.well-known/spin/health" 120 || {
    cat "$T/kiln-e2e.out" >&2
    fail "the container never answered"
}
first_ms=$((($(date +%s%N) - started) / 1000000))
log "first container answered after ${first_ms} ms (includes the compile hook)"
check /hello "Hello, Kiln!"
check /file "Hello from a file in the image"
check /env "env from the manifest"
check /variable "variable ok: from-the-pod"
status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/panic")"
[ "$status" = 500 ] || fail "a panicking guest gave $status, not 500"
check /hello "Hello, Kiln!"

log "stopping with SIGTERM"
"${CTR[@]}" task kill -s SIGTERM kiln-e2e
code=0
wait "$CTR_PID" || code=$?
[ "$code" = 0 ] || {
    cat "$T/kiln-e2e.out" >&2
    fail "the container exited $code after SIGTERM, not 0"
}
grep -q "Serving http://127.0.0.1:$PORT" "$T/kiln-e2e.out" || fail "no 'Serving' line in the container output"
log "exited 0 after SIGTERM"

grep -q "precompiling layers" "$T/containerd.log" || fail "the compile hook did not run"

PORT="$(free_port)"
started=$(date +%s%N)
run_container kiln-e2e-2 "$PORT"
wait_for "http://127.0.0.1:$PORT/.well-known/spin/health" 60 || {
    cat "$T/kiln-e2e-2.out" >&2
    fail "the second container never answered"
}
second_ms=$((($(date +%s%N) - started) / 1000000))
check /variable "variable ok: hello"
grep -q "has pre-compiled content" "$T/containerd.log" || fail "the second container did not get the precompiled layer"
log "second container (precompiled) answered after ${second_ms} ms"
"${CTR[@]}" task kill -s SIGTERM kiln-e2e-2
code=0
wait "$CTR_PID" || code=$?
[ "$code" = 0 ] || fail "the second container exited $code after SIGTERM"
# The node set-up script (README, "Deploy to Kubernetes") yields a config
# containerd reads with runtime kiln in it, and is idempotent.
"$BIN/containerd" config default >"$T/node.toml"
bash scripts/kube-node-setup.sh --config "$T/node.toml" --bin-dir "$T/node-bin" --no-restart \
    "$CARGO_TARGET_DIR/debug/containerd-shim-kiln-v1" >&2
bash scripts/kube-node-setup.sh --config "$T/node.toml" --bin-dir "$T/node-bin" --no-restart \
    "$CARGO_TARGET_DIR/debug/containerd-shim-kiln-v1" >&2
[ "$(grep -c 'runtimes.kiln]' "$T/node.toml")" = 1 ] || fail "kube-node-setup.sh added the runtime twice"
"$BIN/containerd" --config "$T/node.toml" config dump | grep -A16 'runtimes.kiln\]' | grep -q 'runtime_type = "io.containerd.kiln.v1"' ||
    fail "containerd does not see runtime kiln in the config kube-node-setup.sh wrote"
[ -x "$T/node-bin/containerd-shim-kiln-v1" ] || fail "kube-node-setup.sh did not install the shim"
log "kube-node-setup.sh: runtime kiln in containerd's config"

log "PASS: pulled, ran, answered, drained and exited 0 under containerd $("$BIN/containerd" --version | awk '{print $3}')"
