#!/usr/bin/env bash
# Shared helper: a containerd new enough for the Kiln shim (>= 1.7.7).
#
#   source scripts/lib/containerd.sh
#   bin_dir=$(kiln_fetch_containerd "$WORK_DIR")   # -> dir with containerd, ctr, ...
#
# Debian 12 ships containerd 1.6, too old for our shim (sandbox API, and CRI
# runtime handlers behave differently), while Debian 13's (trixie) .deb is a
# static-enough Go build that runs on Debian 12. So we `apt-get download` it
# through a private sources list (the system's apt state is left untouched)
# and unpack it with dpkg-deb: nothing gets installed system-wide.
#
# The unpacked tree is cached in ${KILN_CACHE_DIR:-$HOME/.cache/kiln}/containerd
# so only the first call touches the network; WORK_DIR only holds the apt
# lists and the .deb of that first call. Logs go to stderr, the bin dir to
# stdout. Needs root (apt-get update into a private list dir) only on a miss.

kiln_fetch_containerd() {
    local work="${1:?usage: kiln_fetch_containerd WORK_DIR}"
    local cache="${KILN_CACHE_DIR:-$HOME/.cache/kiln}/containerd"
    local bin="$cache/root/usr/bin"
    if [[ -x "$bin/containerd" ]]; then
        echo "$bin"
        return 0
    fi
    mkdir -p "$cache" "$work/lists/partial" "$work/debs" || return 1
    (
        set -euo pipefail
        # Two scripts may fetch at once (k8s-e2e.sh, containerd-e2e.sh).
        exec 9>"$cache/.lock"
        flock 9
        [[ -x "$bin/containerd" ]] && exit 0
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
            >"$work/sources.list"
        local apt=(apt-get -q -o "Dir::Etc::SourceList=$work/sources.list"
            -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists"
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none)
        echo "[containerd] downloading trixie's containerd .deb" >&2
        "${apt[@]}" update >&2
        (cd "$work/debs" && "${apt[@]}" download containerd >&2)
        rm -rf "$cache/root.tmp"
        dpkg-deb -x "$work"/debs/containerd_*.deb "$cache/root.tmp"
        # Rename last, so an interrupted fetch never looks like a cache hit.
        rm -rf "$cache/root"
        mv "$cache/root.tmp" "$cache/root"
    ) || return 1
    echo "[containerd] $("$bin/containerd" --version)" >&2
    echo "$bin"
}
