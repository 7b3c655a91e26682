#!/usr/bin/env bash
# Load-and-fault test: one `kiln up` (release build), steady `wrk` load on a
# healthy route, first alone and then while other routes of the same app
# trap, loop until the request timeout stops them, exhaust their memory and
# lose their client mid-stream.
#
#   bash scripts/load-and-fault.sh        # ~60 s of load; prints the figures
#
# Prints requests served on the healthy route, errors by kind, the healthy
# route's p99 latency without and with the faulty traffic, and kiln's RSS
# (baseline, peak, end). Passes (exit 0) when the healthy route saw zero
# failed requests and RSS at the end is back near its baseline.
#
# Env: LOAD_PORT (default 3931), BASELINE_SECS (15), FAULT_SECS (45),
# KILN_BIN (use this kiln binary instead of building the release one).
# Needs wrk (apt-get install wrk) and curl. Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
port="${LOAD_PORT:-3931}"
baseline_secs="${BASELINE_SECS:-15}"
fault_secs="${FAULT_SECS:-45}"

if [ -n "${KILN_BIN:-}" ]; then
  kiln=$KILN_BIN            # a kiln binary built elsewhere
else
  cargo build --release -p kiln >&2
  kiln="$CARGO_TARGET_DIR/release/kiln"
fi
guests=$(bash scripts/build-guests.sh | tail -n1)

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "something already listens on 127.0.0.1:$port; set LOAD_PORT" >&2
  exit 1
fi

work=$(mktemp -d)
pid=
fault_pids=()
cleanup() {
  for p in "${fault_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fx="$root/guests/fixtures"
cat >"$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "load-and-fault"

[[trigger.http]]
route = "/hello"
component = "healthy"
[[trigger.http]]
route = "/panic"
component = "healthy"
[component.healthy]
source = "$guests/spin_rust_http_wasip2.wasm"

[[trigger.http]]
route = "/loop"
component = "loop"
[component.loop]
source = "$fx/http-loop.wat"

[[trigger.http]]
route = "/hog"
component = "hog"
executor = { type = "wagi" }
[component.hog]
source = "$fx/wagi-memory-hog.wat"

[[trigger.http]]
route = "/stream"
component = "stream"
[component.stream]
source = "$guests/wasi_http_stream.wasm"
TOML

url="http://127.0.0.1:$port"
"$kiln" up -f "$work" --listen "127.0.0.1:$port" --quiet --log-dir "$work/logs" \
  --request-timeout 2 --max-instance-memory 32M >"$work/kiln.out" 2>"$work/kiln.err" &
pid=$!
until curl -fs -o /dev/null "$url/hello"; do
  kill -0 "$pid" 2>/dev/null || { echo "kiln exited:" >&2; cat "$work/kiln.err" >&2; exit 1; }
  sleep 0.05
done

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

# Samples RSS every 200 ms into $work/rss until killed.
sample_rss() { while kill -0 "$pid" 2>/dev/null; do rss_kib >>"$work/rss"; sleep 0.2; done; }

# Runs wrk on the healthy route; prints its report to $1.
load() {
  wrk -t2 -c16 -d"$2"s --timeout 10s --latency "$url/hello" >"$1"
}

p99() { awk '$1 == "99%" {print $2}' "$1"; }
requests() { awk '/requests in/ {print $1}' "$1"; }
# Failed requests on the healthy route: non-2xx/3xx answers plus socket errors.
failures() {
  local non2xx sock
  non2xx=$(awk -F': ' '/Non-2xx or 3xx responses/ {print $2}' "$1")
  sock=$(awk '/Socket errors/ {gsub(/[^0-9 ]/, " "); s=0; for (i=1;i<=NF;i++) s+=$i; print s}' "$1")
  echo $(( ${non2xx:-0} + ${sock:-0} ))
}

# A little warm-up so the baseline includes steady-state allocations.
wrk -t2 -c16 -d3s "$url/hello" >/dev/null
baseline_rss=$(rss_kib)

echo "== healthy route alone: wrk -t2 -c16 -d${baseline_secs}s $url/hello" >&2
load "$work/alone.txt" "$baseline_secs"

# Faulty traffic: each loop records one line per request: the status code.
fault_loop() { # name, curl arguments...
  local name=$1; shift
  while true; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "$@" >>"$work/fault-$name" 2>/dev/null || echo "000" >>"$work/fault-$name"
  done
}
# Reads 256 KiB of a 1 GB stream, then hangs up.
disconnect_loop() {
  while true; do
    curl -s -N --max-time 30 "$url/stream?bytes=1000000000" 2>/dev/null | head -c 262144 >/dev/null || true
    echo cut >>"$work/fault-disconnect"
  done
}

sample_rss & fault_pids+=($!)
fault_loop trap "$url/panic" & fault_pids+=($!)
fault_loop loop "$url/loop" & fault_pids+=($!)
fault_loop hog "$url/hog" & fault_pids+=($!)
disconnect_loop & fault_pids+=($!)

echo "== healthy route with faulty traffic: wrk -t2 -c16 -d${fault_secs}s $url/hello" >&2
load "$work/faults.txt" "$fault_secs"
for p in "${fault_pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${fault_pids[@]}"; do wait "$p" 2>/dev/null || true; done
fault_pids=()

# Give dropped instances and streams a moment, then settle.
sleep 5
kill -0 "$pid" 2>/dev/null || { echo "kiln died during the run:" >&2; cat "$work/kiln.err" >&2; exit 1; }
end_rss=$(rss_kib)
peak_rss=$(sort -n "$work/rss" | tail -n1)
health=$(curl -s -o /dev/null -w '%{http_code}' "$url/hello")

count() { # file, status
  [ -f "$1" ] && grep -c "^$2\$" "$1" || echo 0
}
total() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

alone_fail=$(failures "$work/alone.txt")
faults_fail=$(failures "$work/faults.txt")
echo
echo "== healthy route /hello"
echo "   alone:            $(requests "$work/alone.txt") requests in ${baseline_secs}s, p99 $(p99 "$work/alone.txt"), failed $alone_fail"
echo "   with faults:      $(requests "$work/faults.txt") requests in ${fault_secs}s, p99 $(p99 "$work/faults.txt"), failed $faults_fail"
echo "   after the run:    $health"
echo "== faulty routes (status: count)"
echo "   /panic (trap):              $(total "$work/fault-trap") requests, 500: $(count "$work/fault-trap" 500), other: $(( $(total "$work/fault-trap") - $(count "$work/fault-trap" 500) ))"
echo "   /loop (timeout 2 s):        $(total "$work/fault-loop") requests, 504: $(count "$work/fault-loop" 504), other: $(( $(total "$work/fault-loop") - $(count "$work/fault-loop" 504) ))"
echo "   /hog (64 MiB > 32M limit):  $(total "$work/fault-hog") requests, 500: $(count "$work/fault-hog" 500), other: $(( $(total "$work/fault-hog") - $(count "$work/fault-hog" 500) ))"
echo "   /stream (client hangs up):  $(total "$work/fault-disconnect") streams cut mid-body"
echo "   logged by kiln: $(grep -c 'request failed' "$work/kiln.err" || true) guest failures, $(grep -c 'request timed out' "$work/kiln.err" || true) timeouts, $(grep -c 'while streaming' "$work/kiln.err" || true) broken streams"
echo "== kiln RSS: baseline $((baseline_rss / 1024)) MiB, peak $((peak_rss / 1024)) MiB, end $((end_rss / 1024)) MiB"

# "Near baseline": within 25% or 32 MiB of it, whichever is larger.
slack=$(( baseline_rss / 4 > 32768 ? baseline_rss / 4 : 32768 ))
status=0
if [ "$faults_fail" -ne 0 ] || [ "$alone_fail" -ne 0 ] || [ "$health" != 200 ]; then
  echo "FAIL: the healthy route had failed requests" ; status=1
fi
if [ "$end_rss" -gt $(( baseline_rss + slack )) ]; then
  echo "FAIL: RSS did not return near its baseline" ; status=1
fi
[ "$status" -eq 0 ] && echo "PASS: zero failed requests on the healthy route; RSS back near baseline"
kill -INT "$pid"; wait "$pid" || true; pid=
exit $status
