#!/usr/bin/env bash
# Sets up a Kubernetes node to run Kiln apps: installs the shim where
# containerd finds it and adds runtime handler `kiln` (runtime type
# io.containerd.kiln.v1) to containerd's CRI config, then restarts
# containerd. Run as root on every node, once per shim upgrade.
#
#   scripts/kube-node-setup.sh [--k3s] [--config FILE] [--bin-dir DIR] [--no-restart] SHIM
#
#   SHIM          the containerd-shim-kiln-v1 binary to install
#   --k3s         k3s's containerd: its config template, restart k3s
#   --config      containerd config file (default /etc/containerd/config.toml)
#   --bin-dir     where the shim goes, on containerd's PATH (default /usr/local/bin)
#   --no-restart  leave restarting containerd to you
#
# Running it twice changes nothing the second time.
set -euo pipefail

k3s=0
config=""
bin_dir=/usr/local/bin
restart=1
shim=""
while [ $# -gt 0 ]; do
    case "$1" in
    --k3s) k3s=1 ;;
    --config) config="$2"; shift ;;
    --bin-dir) bin_dir="$2"; shift ;;
    --no-restart) restart=0 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "unknown flag $1" >&2; exit 2 ;;
    *) shim="$1" ;;
    esac
    shift
done
[ -n "$shim" ] || { echo "usage: $0 [--k3s] [--config FILE] [--bin-dir DIR] [--no-restart] SHIM" >&2; exit 2; }
[ -x "$shim" ] || { echo "$shim is not an executable file" >&2; exit 1; }

if [ -z "$config" ]; then
    if [ "$k3s" = 1 ]; then
        config=/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl
    else
        config=/etc/containerd/config.toml
    fi
fi

install -D -m 0755 "$shim" "$bin_dir/containerd-shim-kiln-v1"
echo "installed $bin_dir/containerd-shim-kiln-v1"

mkdir -p "$(dirname "$config")"
if [ ! -s "$config" ]; then
    if [ "$k3s" = 1 ] && [ -f "${config%.tmpl}" ]; then
        # k3s regenerates config.toml at start; the template survives.
        cp "${config%.tmpl}" "$config"
    elif command -v containerd >/dev/null; then
        containerd config default >"$config"
    fi
fi
touch "$config"

if grep -q 'runtimes\.kiln\]' "$config"; then
    echo "$config already has runtime kiln"
else
    # containerd 2.x (config version 3) renamed the CRI runtime plugin.
    if grep -Eq '^version *= *3' "$config"; then
        table="[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.kiln]"
    else
        table='[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kiln]'
    fi
    printf '\n# Kiln apps (RuntimeClass handler kiln): containerd-shim-kiln-v1\n%s\n  runtime_type = "io.containerd.kiln.v1"\n' "$table" >>"$config"
    echo "added runtime kiln to $config"
fi

if [ "$restart" = 1 ]; then
    if [ "$k3s" = 1 ]; then
        systemctl restart k3s 2>/dev/null || systemctl restart k3s-agent
    else
        systemctl restart containerd
    fi
    echo "restarted containerd"
fi
