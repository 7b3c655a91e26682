#!/usr/bin/env bash
# Opt-in end-to-end test of the containerd shim on a REAL one-node Kubernetes
# cluster (not run by CI: it needs root, builds Kubernetes once, and changes
# host networking while it runs).
#
#   sudo bash scripts/k8s-e2e.sh
#
# What it does, all under one temp dir that is removed on exit:
#   1. builds kube-apiserver, -controller-manager, -scheduler, kubelet and
#      kubectl from Debian 12's `kubernetes` source package (1.20.2) with
#      Debian's Go; cached in ${KILN_CACHE_DIR:-$HOME/.cache/kiln}/k8s, so only
#      the first run pays for it (6-12 min on 2 cores);
#   2. fetches containerd >= 1.7.7 (scripts/lib/containerd.sh), builds a tiny
#      static `pause` image, and starts etcd, containerd (CRI plugin, runtime
#      handler `kiln` -> io.containerd.kiln.v1), the control plane and a kubelet;
#   3. runs a plain runc pod (the pause image) to prove the cluster works on
#      its own, so a failure after that point is the shim's;
#   4. builds `kiln` and `containerd-shim-kiln-v1`, pushes the spin-rust-http
#      guest as an app to a local registry, applies `kiln kube scaffold`, waits
#      for the pod to be Ready and checks its HTTP answers from the pod's IP.
#
# Environment:
#   KILN_CACHE_DIR          cache root (default ~/.cache/kiln)
#   CARGO_TARGET_DIR        where the Kiln binaries are built (default $KILN_CACHE_DIR/target)
#   KILN_K8S_POD_CIDR       pod network of the bridge CNI (default 10.88.0.0/16)
#   KILN_K8S_SMOKE_ONLY=1   stop after step 3 (cluster bring-up only)
#   KILN_K8S_KEEP=1         on exit, leave the temp dir (logs) in place
#   KILN_K8S_KEEP_BUILD=1   keep the Kubernetes source/build tree after building
set -euo pipefail

START=$SECONDS
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE="${KILN_CACHE_DIR:-$HOME/.cache/kiln}"
K8S_CACHE="$CACHE/k8s"
K8S_BIN="$K8S_CACHE/bin"
K8S_TOOLS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
POD_CIDR="${KILN_K8S_POD_CIDR:-10.88.0.0/16}"
SERVICE_CIDR=10.0.0.0/24
SERVICE_IP=10.0.0.1
NODE=kiln-e2e-node
NS=kiln-e2e
PAUSE_IMAGE=kiln.local/pause:1
BRIDGE=kiln-cni0

log() { printf '[k8s-e2e %4ss] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

if [[ $EUID -ne 0 ]]; then
    # Kubelet, containerd and the CNI bridge all need real root.
    if [[ "${CI:-}" == true ]]; then
        echo "k8s-e2e: must run as root (CI=true, so this is a failure)" >&2
        exit 1
    fi
    echo "k8s-e2e: SKIPPED: needs root (it runs containerd, a kubelet and a CNI bridge); try: sudo bash $0"
    exit 0
fi
command -v apt-get >/dev/null || die "needs a Debian-based system (apt-get)"

# --- host packages ------------------------------------------------------------

# Everything comes from Debian 12 except containerd (too old there).
PACKAGES=(golang-go golang-github-modern-go-reflect2-dev dpkg-dev etcd-server
    containernetworking-plugins runc docker-registry gcc libc6-dev openssl curl
    iproute2 python3 util-linux
    # containerd-shim-kiln-v1 (runwasi) build dependencies
    protobuf-compiler pkg-config libseccomp-dev libdbus-1-dev)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
    # etcd-server's maintainer script may start the system etcd where systemd
    # runs; we run our own on free ports, so the service is only in the way.
    if [[ " ${missing[*]} " == *" etcd-server "* ]] && command -v systemctl >/dev/null &&
        systemctl is-active --quiet etcd 2>/dev/null; then
        systemctl disable --now etcd >&2 || true
    fi
fi

# Private apt state (sources list + lists dir), so fetching the deb-src of
# kubernetes never touches the system's apt configuration.
private_apt() { # DIR LINE -> sets APT_PRIV
    mkdir -p "$1/lists/partial"
    echo "$2" >"$1/sources.list"
    APT_PRIV=(apt-get -q -o "Dir::Etc::SourceList=$1/sources.list"
        -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$1/lists"
        -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none)
}

# --- Kubernetes binaries (cached) -------------------------------------------------

build_kubernetes() {
    local work="$K8S_CACHE/build" t0=$SECONDS src reflect2
    log "building Kubernetes from Debian's source package (first run only; takes long)"
    rm -rf "$work" "$K8S_BIN.tmp"
    mkdir -p "$work"
    private_apt "$work" "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main"
    "${APT_PRIV[@]}" update >&2
    (cd "$work" && "${APT_PRIV[@]}" source --download-only kubernetes >&2)
    src="$work/src"
    dpkg-source -x "$work"/kubernetes_*.dsc "$src" >&2
    # The vendored reflect2 1.0.1 crashes on Go >= 1.18 (unsafe map iteration
    # internals changed); Debian's 1.0.2 is API-compatible. modules.txt keeps
    # saying v1.0.1, which `-mod=vendor` accepts since it only compares versions.
    reflect2="$src/vendor/github.com/modern-go/reflect2"
    rm -rf "$reflect2"
    mkdir -p "$reflect2"
    cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. "$reflect2/"
    # Same make target as debian/rules; GOPROXY=off keeps the build offline.
    (cd "$src" && nice -n 15 env GOFLAGS=-mod=vendor GOPROXY=off GOCACHE="$work/gocache" \
        make WHAT="${K8S_TOOLS[*]/#/cmd/}" >&2) || die "Kubernetes build failed (see above)"
    mkdir -p "$K8S_BIN.tmp"
    for t in "${K8S_TOOLS[@]}"; do
        cp "$src/_output/bin/$t" "$K8S_BIN.tmp/"
    done
    basename "$work"/kubernetes_*.dsc .dsc >"$K8S_BIN.tmp/.built"
    echo "$((SECONDS - t0))" >"$K8S_BIN.tmp/.build-seconds"
    rm -rf "$K8S_BIN"
    mv "$K8S_BIN.tmp" "$K8S_BIN"
    # The tree plus Go cache is several GB; the five binaries are all we need.
    [[ "${KILN_K8S_KEEP_BUILD:-0}" == 1 ]] || rm -rf "$work"
    log "Kubernetes built in $((SECONDS - t0))s"
}

mkdir -p "$K8S_CACHE"
exec 7>"$K8S_CACHE/.lock"
flock -n 7 || die "another k8s-e2e.sh is running (lock $K8S_CACHE/.lock)"
if [[ ! -f "$K8S_BIN/.built" ]]; then
    build_kubernetes
else
    log "Kubernetes binaries cached: $(cat "$K8S_BIN/.built") (built in $(cat "$K8S_BIN/.build-seconds" 2>/dev/null || echo '?')s)"
fi

# --- temp dir, process tracking and cleanup --------------------------------------

T="$(mktemp -d /tmp/kiln-k8s-e2e.XXXXXX)"
PIDS=()
BRIDGE_CREATED=0

start_bg() { # NAME CMD... : runs CMD in the background, logging to $T/logs/NAME.log
    local name="$1"
    shift
    "$@" >"$T/logs/$name.log" 2>&1 &
    PIDS+=("$!")
    log "started $name (pid $!)"
}

diagnostics() {
    log "--- diagnostics ---"
    if [[ -x "$K8S_BIN/kubectl" && -f "$T/pki/admin.kubeconfig" ]]; then
        kc get nodes -o wide >&2 || true
        kc get pods -A -o wide >&2 || true
        kc describe pods -n "$NS" >&2 || true
        kc get events -A --sort-by=.lastTimestamp 2>&1 | tail -n 30 >&2 || true
    fi
    # No node address (loopback node IP), so `kubectl logs` cannot reach the
    # kubelet: read the containers' logs where the kubelet writes them.
    for f in /var/log/pods/"${NS}"_*/*/*.log; do
        [[ -f "$f" ]] || continue
        log "--- $f ---"
        tail -n 25 "$f" >&2 || true
    done
    for f in "$T"/logs/*.log; do
        [[ -f "$f" ]] || continue
        log "--- tail of $(basename "$f") ---"
        tail -n 25 "$f" >&2 || true
    done
}

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 10 s.
stop_pid() {
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [[ $rc -ne 0 ]] && diagnostics
    log "cleaning up"
    # Kubelet first (it would restart what we remove), then every container
    # of the k8s.io namespace, so that no shim outlives containerd.
    [[ -n "$KUBELET_PID" ]] && stop_pid "$KUBELET_PID"
    if [[ -n "${CTR[*]:-}" && -S "${SOCK:-}" ]]; then
        local id
        for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
            "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
        done
        for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
            "${CTR[@]}" tasks delete -f "$id" >/dev/null 2>&1
        done
        for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do
            "${CTR[@]}" containers delete "$id" >/dev/null 2>&1
        done
    fi
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[$i]}"
    done
    # A shim left behind (e.g. containerd died first) still has our unique
    # temp dir in its -address argument: that selects only our own shims.
    local p
    for p in $(pgrep -f "containerd-shim.*-address $T/" 2>/dev/null); do
        kill -9 "$p" 2>/dev/null
    done
    [[ -n "${REGISTRY_DIR:-}" ]] && bash "$SCRIPT_DIR/registry.sh" stop "$REGISTRY_DIR" >/dev/null 2>&1
    # Pod netns and rootfs mounts, deepest first, before anything is removed.
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$T" | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    [[ $BRIDGE_CREATED == 1 ]] && ip link del "$BRIDGE" 2>/dev/null
    # kubelet 1.20 hard-codes a few host paths: remove our pods' logs, and the
    # directories themselves when this run created them.
    rm -rf /var/log/pods/"${NS}"_* /var/log/pods/"${NS}-smoke"_* 2>/dev/null
    find /var/log/containers -maxdepth 1 \( -name "*_${NS}_*" -o -name "*_${NS}-smoke_*" \) -delete 2>/dev/null
    local d
    for d in "${HOST_DIRS_CREATED[@]}"; do
        rm -rf "$d"
    done
    # runc and the shim put pods under /k8s.io in every cgroup v1 hierarchy;
    # cgroupfs only allows rmdir of empty groups, children first.
    if [[ $CGROUPS_CREATED == 1 ]]; then
        for d in /sys/fs/cgroup/*/k8s.io; do
            [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
    fi
    if [[ "${KILN_K8S_KEEP:-0}" == 1 ]]; then
        log "kept $T"
    else
        rm -rf --one-file-system "$T"
    fi
    log "total run time: $((SECONDS - START))s (exit code $rc)"
    exit "$rc"
}
KUBELET_PID=
HOST_DIRS_CREATED=()
CGROUPS_CREATED=0
compgen -G '/sys/fs/cgroup/*/k8s.io' >/dev/null || CGROUPS_CREATED=1
for d in /var/lib/kubelet /var/log/pods /var/log/containers; do
    [[ -e "$d" ]] || HOST_DIRS_CREATED+=("$d")
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$T/logs" "$T/pki" "$T/bin"
log "temp dir $T"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for WHAT SECONDS CMD...: polls CMD once a second.
wait_for() {
    local what="$1" secs="$2" i
    shift 2
    for ((i = 0; i < secs; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    die "timed out after ${secs}s waiting for $what"
}

kc() { "$K8S_BIN/kubectl" --kubeconfig "$T/pki/admin.kubeconfig" "$@"; }

# --- containerd, pause image ---------------------------------------------------------

# shellcheck source-path=SCRIPTDIR source=lib/containerd.sh disable=SC1091
source "$SCRIPT_DIR/lib/containerd.sh"
CONTAINERD_BIN="$(kiln_fetch_containerd "$T/containerd-fetch")"
log "$("$CONTAINERD_BIN/containerd" --version)"

# The kubelet and CRI need a sandbox ("pause") image and nothing may be
# pulled from the internet, so build one: a static C binary in a
# docker-archive tar that `ctr images import` understands.
build_pause_image() {
    local d="$T/pause" layer_sha cfg_sha
    mkdir -p "$d/rootfs" "$d/archive"
    cat >"$d/pause.c" <<'EOF'
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
    struct sigaction q = { .sa_handler = quit }, r = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP };
    sigaction(SIGINT, &q, NULL);
    sigaction(SIGTERM, &q, NULL);
    sigaction(SIGCHLD, &r, NULL);
    for (;;) pause();
}
EOF
    gcc -static -Os -o "$d/rootfs/pause" "$d/pause.c"
    strip "$d/rootfs/pause" 2>/dev/null || true
    tar -C "$d/rootfs" --owner=0 --group=0 --numeric-owner -cf "$d/layer.tar" pause
    layer_sha="$(sha256sum "$d/layer.tar" | cut -d' ' -f1)"
    mkdir -p "$d/archive/$layer_sha"
    mv "$d/layer.tar" "$d/archive/$layer_sha/layer.tar"
    printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$layer_sha" >"$d/config.json"
    cfg_sha="$(sha256sum "$d/config.json" | cut -d' ' -f1)"
    mv "$d/config.json" "$d/archive/$cfg_sha.json"
    printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
        "$cfg_sha" "$PAUSE_IMAGE" "$layer_sha" >"$d/archive/manifest.json"
    tar -C "$d/archive" -cf "$T/pause.tar" .
}
build_pause_image

SOCK="$T/containerd/containerd.sock"
mkdir -p "$T/containerd" "$T/net.d" "$T/certs.d"
cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM does not let us lower oom_score_adj below the parent's value.
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, not the host's /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kiln]
      runtime_type = "io.containerd.kiln.v1"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$T/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$T/certs.d"
EOF

# Bridge CNI with host-local IPAM; the host is the gateway, so it reaches pod
# IPs directly (no kube-proxy, no masquerading needed).
if ip route show | grep -v '^default' | grep -q "^${POD_CIDR%%.*}\."; then
    log "warning: the host already has routes in ${POD_CIDR%%.*}.0.0.0/8; set KILN_K8S_POD_CIDR if $POD_CIDR collides"
fi
ip link show "$BRIDGE" >/dev/null 2>&1 && die "bridge $BRIDGE already exists (left over from a crashed run? ip link del $BRIDGE)"
BRIDGE_CREATED=1
cat >"$T/net.d/10-kiln-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "kiln-e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$T/cni-ipam"
      }
    }
  ]
}
EOF

# containerd finds shims on its PATH: ours in $T/bin, runc's next to
# containerd, runc itself from Debian (/usr/sbin).
start_bg containerd env PATH="$T/bin:$CONTAINERD_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$CONTAINERD_BIN/containerd" --config "$T/containerd/config.toml"
CTR=("$CONTAINERD_BIN/ctr" --address "$SOCK" -n k8s.io)
wait_for containerd 30 "${CTR[@]}" version
"${CTR[@]}" images import "$T/pause.tar" >&2
log "imported $PAUSE_IMAGE"

# --- certificates and kubeconfigs ----------------------------------------------------------

P="$T/pki"
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet genrsa -out "$P/ca.key" 2048
openssl_quiet req -x509 -new -key "$P/ca.key" -subj "/CN=kiln-e2e-ca" -days 2 -out "$P/ca.crt"
# cert NAME SUBJECT EXT_KEY_USAGE [SANS]
cert() {
    local name="$1" subj="$2" eku="$3" sans="${4:-}"
    openssl_quiet genrsa -out "$P/$name.key" 2048
    openssl_quiet req -new -key "$P/$name.key" -subj "$subj" -out "$P/$name.csr"
    {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$eku"
        [[ -n "$sans" ]] && echo "subjectAltName=$sans"
    } >"$P/$name.ext"
    openssl_quiet x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
        -days 2 -extfile "$P/$name.ext" -out "$P/$name.crt"
}
cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
# system:masters is the superuser group; kubectl, the controller manager and
# the scheduler share this identity (good enough for a throwaway cluster).
cert admin "/O=system:masters/CN=kiln-e2e-admin" clientAuth
# The Node authorizer only lets a kubelet act as system:node:<its node name>.
cert kubelet "/O=system:nodes/CN=system:node:$NODE" serverAuth,clientAuth "IP:127.0.0.1,DNS:$NODE"
openssl_quiet genrsa -out "$P/sa.key" 2048
openssl_quiet rsa -in "$P/sa.key" -pubout -out "$P/sa.pub"

ETCD_PORT="$(free_port)"
ETCD_PEER_PORT="$(free_port)"
API_PORT="$(free_port)"
KUBELET_PORT="$(free_port)"
KUBELET_HEALTHZ_PORT="$(free_port)"

kubeconfig() { # NAME USER_CERT
    cat >"$P/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kiln-e2e
  cluster:
    certificate-authority: $P/ca.crt
    server: https://127.0.0.1:$API_PORT
users:
- name: $1
  user:
    client-certificate: $P/$2.crt
    client-key: $P/$2.key
contexts:
- name: kiln-e2e
  context: {cluster: kiln-e2e, user: $1}
current-context: kiln-e2e
EOF
}
kubeconfig admin admin
kubeconfig kubelet kubelet

# --- control plane ---------------------------------------------------------------------------

start_bg etcd etcd --name kiln-e2e --data-dir "$T/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "kiln-e2e=http://127.0.0.1:$ETCD_PEER_PORT"
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

start_bg kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$API_PORT" --advertise-address 127.0.0.1 \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
    --client-ca-file "$P/ca.crt" \
    --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --kubelet-client-certificate "$P/admin.crt" --kubelet-client-key "$P/admin.key" \
    --allow-privileged=true --cert-dir "$T/apiserver-certs"
wait_for kube-apiserver 120 kc get --raw /readyz

start_bg kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$P/admin.kubeconfig" --leader-elect=false --port 0 --secure-port 0 \
    --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
    --service-cluster-ip-range "$SERVICE_CIDR"
start_bg kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$P/admin.kubeconfig" --leader-elect=false --port 0 --secure-port 0

# --- kubelet ----------------------------------------------------------------------------

# Per-QoS cgroups and node-allocatable enforcement only matter for resource
# isolation between many pods; switching them off keeps the kubelet from
# reorganising the (shared, cgroup v1) host hierarchy.
start_bg kubelet "$K8S_BIN/kubelet" \
    --kubeconfig "$P/kubelet.kubeconfig" --root-dir "$T/kubelet" --cert-dir "$T/kubelet/pki" \
    --container-runtime remote --container-runtime-endpoint "unix://$SOCK" \
    --runtime-request-timeout 10m \
    --cgroup-driver cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
    --fail-swap-on=false --resolv-conf /etc/resolv.conf \
    --hostname-override "$NODE" --node-ip 127.0.0.1 \
    --address 127.0.0.1 --port "$KUBELET_PORT" --read-only-port 0 \
    --healthz-bind-address 127.0.0.1 --healthz-port "$KUBELET_HEALTHZ_PORT" \
    --tls-cert-file "$P/kubelet.crt" --tls-private-key-file "$P/kubelet.key" \
    --client-ca-file "$P/ca.crt" --anonymous-auth=false \
    --pod-infra-container-image "$PAUSE_IMAGE" \
    --volume-plugin-dir "$T/kubelet/volume-plugins" \
    --image-gc-high-threshold 100 --eviction-hard= \
    --v 2
KUBELET_PID="${PIDS[-1]}"

wait_for "node $NODE to be Ready" 180 \
    bash -c "[[ \"\$('$K8S_BIN/kubectl' --kubeconfig '$P/admin.kubeconfig' get node $NODE -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" == True ]]"
log "node $NODE is Ready"
# Pods need their namespace's default ServiceAccount (made by the controller manager).
kc create namespace "$NS-smoke" >&2
wait_for "default ServiceAccount in $NS-smoke" 60 kc -n "$NS-smoke" get serviceaccount default

# --- smoke pod: the cluster on its own (runc) ------------------------------------------------

kc -n "$NS-smoke" apply -f - >&2 <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: smoke
spec:
  containers:
  - name: pause
    image: $PAUSE_IMAGE
    imagePullPolicy: Never
EOF
kc -n "$NS-smoke" wait --for=condition=Ready pod/smoke --timeout=120s >&2
SMOKE_IP="$(kc -n "$NS-smoke" get pod smoke -o jsonpath='{.status.podIP}')"
[[ -n "$SMOKE_IP" ]] || die "smoke pod has no IP"
log "smoke pod (runc) is Running with IP $SMOKE_IP"
kc delete namespace "$NS-smoke" --wait=false >&2

if [[ "${KILN_K8S_SMOKE_ONLY:-0}" == 1 ]]; then
    log "KILN_K8S_SMOKE_ONLY=1: cluster bring-up checked; skipping the Kiln app"
    exit 0
fi

# --- Kiln: binaries, app in a registry --------------------------------------------------------

[[ -f "$REPO_ROOT/crates/shim/Cargo.toml" ]] || die "crates/shim does not exist yet; run with KILN_K8S_SMOKE_ONLY=1"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
log "cargo build -p kiln -p containerd-shim-kiln-v1 (target dir $CARGO_TARGET_DIR)"
(cd "$REPO_ROOT" && nice -n 15 cargo build -p kiln -p containerd-shim-kiln-v1 >&2)
KILN="$CARGO_TARGET_DIR/debug/kiln"
ln -s "$CARGO_TARGET_DIR/debug/containerd-shim-kiln-v1" "$T/bin/containerd-shim-kiln-v1"

log "building guests (cached by scripts/build-guests.sh)"
GUESTS="$(nice -n 15 bash "$SCRIPT_DIR/build-guests.sh" | tail -n 1)"
WASM="$GUESTS/spin_rust_http_wasip2.wasm"
[[ -s "$WASM" ]] || die "$WASM was not built"

REGISTRY_DIR="$T/registry"
REGISTRY="$(bash "$SCRIPT_DIR/registry.sh" start "$REGISTRY_DIR")"
REF="$REGISTRY/hello:v1"
log "registry at $REGISTRY"
# CRI pulls through containerd's registry hosts config: plain HTTP here.
mkdir -p "$T/certs.d/$REGISTRY"
cat >"$T/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOF

mkdir -p "$T/app"
cat >"$T/app/spin.toml" <<EOF
spin_manifest_version = 2
[application]
name = "hello"
version = "1.0.0"

[[trigger.http]]
route = "/..."
component = "hello"

[component.hello]
source = "$WASM"
EOF
# Keep kiln's own cache and credentials out of the user's home.
kiln() {
    KILN_CACHE_DIR="$T/kiln-cache" XDG_CONFIG_HOME="$T/kiln-config" DOCKER_CONFIG="$T/docker" \
        "$KILN" "$@" </dev/null
}
kiln registry push -f "$T/app" "$REF" --insecure >&2
log "pushed $REF"

# --- Kiln: deploy ----------------------------------------------------------------------------

kiln kube scaffold -f "$REF" --insecure --name hello >"$T/hello.yaml"
log "kiln kube scaffold output:"
sed 's/^/    /' "$T/hello.yaml" >&2
kc create namespace "$NS" >&2
wait_for "default ServiceAccount in $NS" 60 kc -n "$NS" get serviceaccount default
kc -n "$NS" apply -f "$T/hello.yaml" >&2
# Not `kubectl rollout status`: a crash-looping pod should fail the run in
# seconds, not after the whole timeout.
POD=
for ((i = 0; i < 300; i++)); do
    POD="$(kc -n "$NS" get pods -l app=hello -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)"
    if [[ -n "$POD" ]]; then
        ready="$(kc -n "$NS" get pod "$POD" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
        [[ "$ready" == True ]] && break
        restarts="$(kc -n "$NS" get pod "$POD" -o jsonpath='{.status.containerStatuses[0].restartCount}')"
        [[ "${restarts:-0}" -lt 2 ]] || die "pod $POD keeps crashing (restarts: $restarts)"
    fi
    sleep 1
done
[[ "${ready:-}" == True ]] || die "pod of deployment hello not Ready after 300s"
POD_IP="$(kc -n "$NS" get pod "$POD" -o jsonpath='{.status.podIP}')"
RUNTIME="$(kc -n "$NS" get pod "$POD" -o jsonpath='{.spec.runtimeClassName}')"
log "pod $POD is Ready: IP $POD_IP, runtimeClassName $RUNTIME"
[[ "$RUNTIME" == kiln ]] || die "pod does not use the kiln RuntimeClass"
# And containerd really ran it (sandbox and app container) with our shim.
kiln_containers="$("${CTR[@]}" containers ls 2>/dev/null | grep -c 'io\.containerd\.kiln\.v1' || true)"
[[ "$kiln_containers" -ge 2 ]] || die "containerd shows $kiln_containers containers with runtime io.containerd.kiln.v1 (want the sandbox and the app)"
log "containerd: $kiln_containers containers with runtime io.containerd.kiln.v1"

# --- Kiln: HTTP from the pod's IP -----------------------------------------------------------------

body="$(curl -fsS --max-time 10 "http://$POD_IP:80/hello")" || die "GET /hello on $POD_IP failed"
[[ "$body" == "Hello, Kiln!" ]] || die "GET /hello answered '$body', expected 'Hello, Kiln!'"
log "GET http://$POD_IP/hello -> $body"
# The guest has no route for / and says so itself: proof the app, not the
# shim, answered.
code="$(curl -sS --max-time 10 -o "$T/root.txt" -w '%{http_code}' "http://$POD_IP:80/")"
[[ "$code" == 404 && "$(cat "$T/root.txt")" == "not found: /" ]] ||
    die "GET / answered $code '$(cat "$T/root.txt")', expected 404 'not found: /'"
log "GET http://$POD_IP/ -> $code $(cat "$T/root.txt")"
code="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://$POD_IP:80/.well-known/spin/health")"
[[ "$code" == 200 ]] || die "health endpoint answered $code"
log "GET http://$POD_IP/.well-known/spin/health -> $code"

kc -n "$NS" delete deployment hello --wait=true --timeout=120s >&2
wait_for "pod $POD to go away" 120 bash -c "! '$K8S_BIN/kubectl' --kubeconfig '$P/admin.kubeconfig' -n $NS get pod $POD"
log "PASS: a Kiln pod served HTTP on a real Kubernetes node"
