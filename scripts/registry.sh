#!/usr/bin/env bash
# A throwaway local OCI registry (Debian's `docker-registry`, the CNCF
# distribution server) for tests and benchmarks.
#
#   scripts/registry.sh start DIR [HTPASSWD]   start one on a free 127.0.0.1 port, storage and
#                                              config under DIR; prints its address (host:port)
#   scripts/registry.sh stop DIR               stop the one started with DIR
#
# With HTPASSWD (a bcrypt htpasswd file) the registry requires basic auth.
# Without docker-registry it exits 3 and says how to install it.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR [HTPASSWD]" >&2
  exit 2
fi

case "$cmd" in
start)
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "docker-registry is not installed: apt-get install -y docker-registry" >&2
    exit 3
  fi
  mkdir -p "$dir/data"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: warn"
    echo "  accesslog:"
    echo "    disabled: true"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $dir/data"
    echo "  delete:"
    echo "    enabled: true"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    if [[ -n "${3:-}" ]]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: kiln-test"
      echo "    path: $3"
    fi
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/registry.pid"
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
    if [[ "$code" == "200" || "$code" == "401" ]]; then
      echo "127.0.0.1:$port"
      exit 0
    fi
    if ! kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
      echo "docker-registry exited; its log:" >&2
      cat "$dir/registry.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "docker-registry did not answer on 127.0.0.1:$port" >&2
  kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  if [[ -f "$dir/registry.pid" ]]; then
    pid=$(cat "$dir/registry.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$dir/registry.pid"
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR [HTPASSWD]" >&2
  exit 2
  ;;
esac
