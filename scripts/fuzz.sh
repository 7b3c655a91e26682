#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a short while (the CI smoke run), or the
# targets named on the command line.
#
#   bash scripts/fuzz.sh                 # each target FUZZ_SECONDS (default 15)
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh manifest routes
#
# cargo-fuzz needs nightly-only flags (sanitizers); RUSTC_BOOTSTRAP lets this
# stable toolchain accept them. The instrumented build has its own target
# folder, and each target's corpus grows under ~/.cache/kiln/fuzz-corpus
# (seeded from fuzz/seeds). A crash fails the run and leaves its input in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_EACH="${FUZZ_SECONDS:-15}"
CORPUS_ROOT="${KILN_FUZZ_CORPUS:-$HOME/.cache/kiln/fuzz-corpus}"
export CARGO_TARGET_DIR="${KILN_FUZZ_TARGET_DIR:-$HOME/.cache/kiln/fuzz-target}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build --release >&2
for target in "${targets[@]}"; do
  corpus="$CORPUS_ROOT/$target"
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then
    cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  fi
  echo "[fuzz] $target for ${SECONDS_EACH}s" >&2
  start=$(date +%s)
  log="$CARGO_TARGET_DIR/fuzz-$target.log"
  # -rss_limit_mb guards against a target that hoards memory.
  status=0
  cargo fuzz run --release "$target" "$corpus" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^stat::number_of_executed_units|^SUMMARY|panicked|^==[0-9]+==ERROR" "$log" >&2 || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "[fuzz] $target FAILED (exit $status) after $(( $(date +%s) - start ))s; see fuzz/artifacts/$target" >&2
    exit 1
  fi
  echo "[fuzz] $target clean: $(ls "$corpus" | wc -l) corpus entries" >&2
done
