#!/usr/bin/env bash
# Build the guest fixtures used by Kiln's integration tests.
#
#   bash scripts/build-guests.sh [OUT_DIR]
#
# OUT_DIR defaults to ${KILN_GUESTS_DIR:-$HOME/.cache/kiln/guests}. On success
# the LAST line of stdout is the absolute OUT_DIR; all build logs go to stderr.
#
# Outputs (in OUT_DIR):
#   spin_rust_http_wasip1.wasm  core module (wasm32-wasip1), Spin Rust SDK 5.2.0
#   spin_rust_http_wasip2.wasm  component  (wasm32-wasip2), same source
#   spin_rust_p3.wasm           component  (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               exports wasi:http/handler@0.3.0 (Preview 3)
#   spin_rust_outbound.wasm     component  (wasm32-wasip2), Spin Rust SDK 5.2.0:
#                               outbound HTTP routes (/fetch?url=…)
#   spin_rust_p3_outbound.wasm  component  (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               /fetch?url=… through wasi:http/client@0.3.0
#   spin1_outbound.wasm         component  (wasm32-wasip2), Spin 1 inbound-http +
#                               fermyon:spin/http, bindings from the host WIT
#   spin_rust_state.wasm        component  (wasm32-wasip2), Spin Rust SDK 5.2.0:
#                               key-value, SQLite and variables routes
#   spin_rust_mqtt.wasm         component  (wasm32-wasip2), Spin Rust SDK 5.2.0:
#                               outbound MQTT (POST /publish?address=…&topic=…&qos=…)
#   spin_rust_mqtt_p3.wasm      component  (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               the same route over spin:mqtt@3.0.0 (Preview 3)
#   spin_rust_p3_redis_mysql.wasm component (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               outbound Redis over spin:redis@3.0.0 (/redis?…)
#   spin_rust_p3_pg.wasm        component  (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               outbound PostgreSQL over spin:postgres@4.2.0 (/pg?…)
#   spin_rust_p3_redis_trigger.wasm component (wasm32-wasip2), Spin Rust SDK 7.0.0:
#                               #[redis_subscriber]: spin:redis/inbound-redis@3.0.0
#   wasi_http_stream.wasm       plain wasi:http component (wstd), streaming bodies
#   wasi_http_hello.wasm        plain wasi:http hello world (wstd), for the benchmarks
#   wagi_rust.wasm              WAGI/CGI core module (wasm32-wasip1)
#   py_http.wasm                optional: Python, componentize-py + spin-sdk
#   js_http.wasm                optional: JavaScript, componentize-js
#   trap.wat loop.wat not-a-module.txt   hand-written edge-case fixtures (text)
#
# Every output is cached, keyed by a hash of its sources (plus lockfiles, this
# script and the toolchain version); an unchanged guest is not rebuilt. The
# whole build holds an flock on OUT_DIR/.build.lock so parallel test processes
# can all call this script safely.
#
# Optional guests (Python, JS) whose toolchain cannot be installed produce a
# warning and are left absent, unless KILN_GUESTS_REQUIRE_ALL=1.
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)"
GUESTS="$REPO_ROOT/guests"
KILN_CACHE="$HOME/.cache/kiln"
OUT_DIR="${1:-${KILN_GUESTS_DIR:-$KILN_CACHE/guests}}"
REQUIRE_ALL="${KILN_GUESTS_REQUIRE_ALL:-0}"

# Keep the real stdout on fd 3 for the final line; everything else -> stderr.
exec 3>&1 1>&2

log() { printf '[build-guests] %s\n' "$*" >&2; }
warn() { printf '[build-guests] WARNING: %s\n' "$*" >&2; }
die() {
    printf '[build-guests] ERROR: %s\n' "$*" >&2
    exit 1
}

command -v flock >/dev/null || die "flock (util-linux) is required"
command -v sha256sum >/dev/null || die "sha256sum (coreutils) is required"

mkdir -p "$OUT_DIR" "$KILN_CACHE" || die "cannot create $OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
STAMPS="$OUT_DIR/.stamps"
mkdir -p "$STAMPS"

# Serialise concurrent builds of the same OUT_DIR (nextest runs tests in
# parallel processes, each of which calls this script).
exec 9>"$OUT_DIR/.build.lock"
if ! flock -n 9; then
    log "waiting for another build-guests.sh holding $OUT_DIR/.build.lock"
    flock 9
fi
# State shared between different OUT_DIRs (the venv, js-http/node_modules)
# gets a second lock, always taken after the first.
exec 8>"$KILN_CACHE/.build-guests-toolchains.lock"
flock 8

export CARGO_TARGET_DIR="$KILN_CACHE/guests-target"
export PYTHONDONTWRITEBYTECODE=1
SCRIPT_HASH="$(sha256sum <"$SCRIPT_PATH" | cut -d' ' -f1)"
START_ALL=$SECONDS

# --- caching helpers ---------------------------------------------------------

# Hash of every source file of a guest dir (relative paths + contents),
# ignoring installed/generated trees.
hash_tree() {
    (
        cd "$GUESTS/$1" &&
            find . -type f \
                -not -path './node_modules/*' \
                -not -path './target/*' \
                -not -path '*/__pycache__/*' \
                -not -name '*.wasm' \
                -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    ) || return 1
}

# cache_key GUEST_DIR EXTRA... -> prints the hash.
cache_key() {
    local dir="$1"
    shift
    {
        hash_tree "$dir"
        echo "script $SCRIPT_HASH"
        printf 'extra %s\n' "$@"
    } | sha256sum | cut -d' ' -f1
}

# up_to_date OUTPUT KEY: true when OUTPUT exists and was built from KEY.
up_to_date() {
    [[ -s "$OUT_DIR/$1" && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]
}

# install_output SRC OUTPUT KEY: atomic copy into OUT_DIR + stamp.
install_output() {
    local src="$1" name="$2" key="$3"
    [[ -s "$src" ]] || {
        warn "expected build output $src is missing or empty"
        return 1
    }
    cp "$src" "$OUT_DIR/.$name.tmp" &&
        mv -f "$OUT_DIR/.$name.tmp" "$OUT_DIR/$name" &&
        printf '%s\n' "$key" >"$STAMPS/$name"
    log "  -> $OUT_DIR/$name ($(stat -c %s "$OUT_DIR/$name") bytes)"
}

remove_output() {
    rm -f "$OUT_DIR/$1" "$STAMPS/$1"
}

# --- Rust guests (required) --------------------------------------------------

ensure_rust_target() {
    local target="$1"
    local libdir
    if libdir="$(rustc --print target-libdir --target "$target" 2>/dev/null)" && [[ -d "$libdir" ]]; then
        return 0
    fi
    command -v rustup >/dev/null ||
        die "Rust target $target is not installed and rustup is unavailable"
    log "installing Rust target $target"
    rustup target add "$target" >&2 || die "rustup target add $target failed"
}

# build_rust GUEST_DIR TARGET ARTIFACT_NAME OUTPUT
# build_rust DIR TARGET ARTIFACT OUTPUT [EXTRA_KEY...]
build_rust() {
    local dir="$1" target="$2" artifact="$3" output="$4" key t0
    key="$(cache_key "$dir" "target=$target" "rustc=$RUSTC_VERSION" "${@:5}")"
    if up_to_date "$output" "$key"; then
        log "$output: up to date"
        return 0
    fi
    ensure_rust_target "$target"
    log "$output: cargo build --release --target $target ($dir)"
    t0=$SECONDS
    cargo build --release --locked \
        --manifest-path "$GUESTS/$dir/Cargo.toml" \
        --target "$target" >&2 ||
        die "cargo build of guests/$dir for $target failed"
    install_output "$CARGO_TARGET_DIR/$target/release/$artifact" "$output" "$key" ||
        die "could not install $output"
    log "$output: built in $((SECONDS - t0))s"
}

command -v cargo >/dev/null || die "cargo is required (install Rust via rustup)"
RUSTC_VERSION="$(rustc -V)"

build_rust spin-rust-http wasm32-wasip1 spin_rust_http.wasm spin_rust_http_wasip1.wasm
build_rust spin-rust-http wasm32-wasip2 spin_rust_http.wasm spin_rust_http_wasip2.wasm
build_rust spin-rust-p3 wasm32-wasip2 spin_rust_p3.wasm spin_rust_p3.wasm
build_rust spin-rust-state wasm32-wasip2 spin_rust_state.wasm spin_rust_state.wasm
build_rust spin-rust-rdbms wasm32-wasip2 spin_rust_rdbms.wasm spin_rust_rdbms.wasm
build_rust spin-rust-redis/http wasm32-wasip2 spin_rust_redis_http.wasm spin_rust_redis_http.wasm
build_rust spin-rust-redis/trigger wasm32-wasip2 spin_rust_redis_trigger.wasm spin_rust_redis_trigger.wasm
build_rust spin-rust-mqtt wasm32-wasip2 spin_rust_mqtt.wasm spin_rust_mqtt.wasm
build_rust spin-rust-mqtt-p3 wasm32-wasip2 spin_rust_mqtt_p3.wasm spin_rust_mqtt_p3.wasm
build_rust spin-rust-p3-redis-mysql wasm32-wasip2 spin_rust_p3_redis_mysql.wasm spin_rust_p3_redis_mysql.wasm
build_rust spin-rust-p3-pg wasm32-wasip2 spin_rust_p3_pg.wasm spin_rust_p3_pg.wasm
build_rust spin-rust-p3-redis-trigger wasm32-wasip2 spin_rust_p3_redis_trigger.wasm spin_rust_p3_redis_trigger.wasm
build_rust spin-rust-outbound wasm32-wasip2 spin_rust_outbound.wasm spin_rust_outbound.wasm
build_rust spin-rust-p3-outbound wasm32-wasip2 spin_rust_p3_outbound.wasm spin_rust_p3_outbound.wasm
build_rust wasi-http-stream wasm32-wasip2 wasi_http_stream.wasm wasi_http_stream.wasm
build_rust wasi-http-hello wasm32-wasip2 wasi_http_hello.wasm wasi_http_hello.wasm
build_rust wagi-rust wasm32-wasip1 wagi_rust.wasm wagi_rust.wasm
# Generated from the host's own WIT, which is therefore part of its cache key.
HOST_WIT_HASH="$(find "$REPO_ROOT/crates/world/wit" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
build_rust spin-inbound-http wasm32-wasip2 spin_inbound_http.wasm spin_inbound_http.wasm "wit=$HOST_WIT_HASH"
build_rust spin1-outbound wasm32-wasip2 spin1_outbound.wasm spin1_outbound.wasm "wit=$HOST_WIT_HASH"
build_rust spin-rust-redis/v1 wasm32-wasip2 spin_rust_redis_v1.wasm spin_rust_redis_v1.wasm "wit=$HOST_WIT_HASH"

# --- WAT / edge-case fixtures -------------------------------------------------

for f in "$GUESTS"/fixtures/*; do
    name="$(basename "$f")"
    if ! cmp -s "$f" "$OUT_DIR/$name"; then
        cp "$f" "$OUT_DIR/.$name.tmp" && mv -f "$OUT_DIR/.$name.tmp" "$OUT_DIR/$name"
        log "fixture $name copied"
    fi
done

# --- optional guests -----------------------------------------------------------

MISSING_OPTIONAL=()

# run_optional OUTPUT FUNCTION: runs FUNCTION in a `set -e` subshell; on
# failure warns (or dies with KILN_GUESTS_REQUIRE_ALL=1) and removes OUTPUT.
run_optional() {
    local output="$1" fn="$2" rc
    set +e
    (
        set -euo pipefail
        "$fn"
    )
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
        remove_output "$output"
        if [[ "$REQUIRE_ALL" == 1 ]]; then
            die "optional guest $output failed to build (KILN_GUESTS_REQUIRE_ALL=1)"
        fi
        warn "optional guest $output was NOT built (see messages above); tests needing it should skip"
        MISSING_OPTIONAL+=("$output")
    fi
}

PY_VENV="$KILN_CACHE/py-venv"

build_py() {
    local req="$GUESTS/py-http/requirements.txt" key req_hash py
    py="$(command -v python3 || true)"
    [[ -n "$py" ]] || {
        warn "python3 not found"
        return 1
    }
    key="$(cache_key py-http "python=$("$py" --version 2>&1)")"
    if up_to_date py_http.wasm "$key"; then
        log "py_http.wasm: up to date"
        return 0
    fi
    req_hash="$(sha256sum <"$req" | cut -d' ' -f1)"
    if [[ ! -x "$PY_VENV/bin/componentize-py" || "$(cat "$PY_VENV/.kiln-req-stamp" 2>/dev/null)" != "$req_hash" ]]; then
        log "py_http.wasm: creating venv $PY_VENV with $(grep -v '^#' "$req" | xargs)"
        rm -rf "$PY_VENV"
        "$py" -m venv "$PY_VENV" || {
            warn "python3 -m venv failed (is python3-venv installed?)"
            return 1
        }
        "$PY_VENV/bin/pip" install --disable-pip-version-check -q -r "$req" >&2 || {
            warn "pip install of componentize-py/spin-sdk failed"
            return 1
        }
        printf '%s\n' "$req_hash" >"$PY_VENV/.kiln-req-stamp"
    fi
    # Not `local`: the EXIT trap runs after the function has returned.
    local t0=$SECONDS
    tmp="$(mktemp -d)"
    trap 'rm -rf "${tmp:-}"' EXIT
    log "py_http.wasm: componentize-py -w spin-http componentize app"
    (
        # componentize-py locates the spin-sdk WIT through the active venv.
        # shellcheck disable=SC1091
        source "$PY_VENV/bin/activate"
        cd "$GUESTS/py-http"
        componentize-py -w spin-http componentize app -o "$tmp/py_http.wasm" >&2
    ) || {
        warn "componentize-py failed"
        return 1
    }
    install_output "$tmp/py_http.wasm" py_http.wasm "$key"
    log "py_http.wasm: built in $((SECONDS - t0))s"
}

build_js() {
    local dir="$GUESTS/js-http" key lock_hash
    command -v node >/dev/null && command -v npm >/dev/null || {
        warn "node/npm not found"
        return 1
    }
    key="$(cache_key js-http "node=$(node --version)")"
    if up_to_date js_http.wasm "$key"; then
        log "js_http.wasm: up to date"
        return 0
    fi
    lock_hash="$(sha256sum <"$dir/package-lock.json" | cut -d' ' -f1)"
    if [[ "$(cat "$dir/node_modules/.kiln-lock-stamp" 2>/dev/null)" != "$lock_hash" ]]; then
        log "js_http.wasm: npm ci in guests/js-http"
        (cd "$dir" && npm ci --no-audit --no-fund >&2) || {
            warn "npm ci failed in guests/js-http"
            return 1
        }
        printf '%s\n' "$lock_hash" >"$dir/node_modules/.kiln-lock-stamp"
    fi
    # Not `local`: the EXIT trap runs after the function has returned.
    local t0=$SECONDS
    tmp="$(mktemp -d)"
    trap 'rm -rf "${tmp:-}"' EXIT
    # Assemble the WIT: our world + the wasi:http@0.2.3 packages shipped in
    # the installed @spinframework/wasi-http-proxy npm package.
    mkdir -p "$tmp/wit/deps"
    cp "$dir/wit/world.wit" "$tmp/wit/world.wit"
    cp "$dir/node_modules/@spinframework/wasi-http-proxy/wit/wasi-http@0.2.3.wit" \
        "$tmp/wit/deps/wasi-http.wit" || {
        warn "WIT for wasi:http not found in node_modules/@spinframework/wasi-http-proxy"
        return 1
    }
    log "js_http.wasm: componentize-js app.js"
    (cd "$dir" && node node_modules/@bytecodealliance/componentize-js/src/cli.js \
        app.js --wit "$tmp/wit" --world-name js-http -o "$tmp/js_http.wasm" >&2) || {
        warn "componentize-js failed"
        return 1
    }
    install_output "$tmp/js_http.wasm" js_http.wasm "$key"
    log "js_http.wasm: built in $((SECONDS - t0))s"
}

run_optional py_http.wasm build_py
run_optional js_http.wasm build_js

if [[ ${#MISSING_OPTIONAL[@]} -gt 0 ]]; then
    warn "missing optional guests: ${MISSING_OPTIONAL[*]}"
fi
log "done in $((SECONDS - START_ALL))s; outputs in $OUT_DIR"
printf '%s\n' "$OUT_DIR" >&3
