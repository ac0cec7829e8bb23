#!/usr/bin/env bash
# Bring up a local Docker engine for the sandbox tests and build the test images.
#
# Idempotent; run as root. Steps (each skipped when already done):
#   1. if `docker info` fails: install Debian `docker.io` (plus `busybox-static`, `debootstrap`),
#      start `dockerd` in the background with the default bridge disabled (`--bridge=none`, so
#      containers get no network) and `--iptables=false` when iptables is unusable, log to
#      $WB_DOCKERD_LOG, and wait (bounded) until `docker info` answers;
#   2. build `workbench-test/busybox:latest`: a FROM-scratch image around Debian's static busybox;
#   3. build `workbench-test/python:latest`: `debootstrap --variant=minbase --include=python3`
#      root filesystem imported with `docker import` (slow, minutes; cached by tag).
#
# No image registry is reachable on our machines, so nothing is pulled.
# Env: WB_DOCKERD_LOG (default /var/log/workbench-dockerd.log), WB_DOCKER_WAIT (seconds, default 60),
#      WB_SKIP_PYTHON_IMAGE=1 to skip step 3, WB_DEBIAN_SUITE (default bookworm).
set -euo pipefail

LOG="${WB_DOCKERD_LOG:-/var/log/workbench-dockerd.log}"
WAIT="${WB_DOCKER_WAIT:-60}"
SUITE="${WB_DEBIAN_SUITE:-bookworm}"
BUSYBOX_TAG="workbench-test/busybox:latest"
PYTHON_TAG="workbench-test/python:latest"

say() { printf '[docker-setup] %s\n' "$*"; }
die() { printf '[docker-setup] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    die "must run as root (installs packages and starts dockerd)"
fi

apt_updated=0
apt_install() {
    # Install the given Debian packages when any of them is missing.
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$apt_updated" -eq 0 ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# 1. Engine
# ---------------------------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
    say "engine already running: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
else
    apt_install docker.io
    DOCKERD="$(command -v dockerd || echo /usr/sbin/dockerd)"
    [ -x "$DOCKERD" ] || die "dockerd not found after installing docker.io"
    args=(--bridge=none --log-level=warn)
    if ! iptables -L -n >/dev/null 2>&1; then
        say "iptables unusable here: starting dockerd with --iptables=false"
        args+=(--iptables=false --ip-masq=false)
    fi
    # A stale pid file from a crashed dockerd blocks the start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    # containerd: dockerd starts its own when none runs.
    say "starting $DOCKERD ${args[*]} (log: $LOG)"
    nohup "$DOCKERD" "${args[@]}" >>"$LOG" 2>&1 &
    waited=0
    until docker info >/dev/null 2>&1; do
        if [ "$waited" -ge "$WAIT" ]; then
            tail -n 30 "$LOG" >&2 || true
            die "dockerd did not answer within ${WAIT}s; see $LOG (last lines above)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "engine up after ${waited}s: $(docker version --format '{{.Server.Version}}')"
fi

# ---------------------------------------------------------------------------------------------
# 2. busybox test image (FROM scratch + Debian's static busybox)
# ---------------------------------------------------------------------------------------------
if docker image inspect "$BUSYBOX_TAG" >/dev/null 2>&1; then
    say "$BUSYBOX_TAG present (cached)"
else
    apt_install busybox-static
    ctx="$(mktemp -d)"
    trap 'rm -rf "$ctx"' EXIT
    mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/workspace" "$ctx/rootfs/etc"
    cp /bin/busybox "$ctx/rootfs/bin/busybox"
    # One symlink per applet (sh, sleep, id, cat, yes, head, wget, ...).
    for applet in $("$ctx/rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] && continue
        ln -sf busybox "$ctx/rootfs/bin/$applet"
    done
    chmod 1777 "$ctx/rootfs/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ctx/rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
    cp "$(dirname "$0")/images/busybox.Dockerfile" "$ctx/Dockerfile"
    say "building $BUSYBOX_TAG"
    docker build -q -t "$BUSYBOX_TAG" "$ctx" >/dev/null
    rm -rf "$ctx"
    trap - EXIT
    say "built $BUSYBOX_TAG"
fi

# ---------------------------------------------------------------------------------------------
# 3. Python test image (debootstrap minbase + python3, docker import)
# ---------------------------------------------------------------------------------------------
if [ "${WB_SKIP_PYTHON_IMAGE:-0}" = 1 ]; then
    say "WB_SKIP_PYTHON_IMAGE=1: not building $PYTHON_TAG"
elif docker image inspect "$PYTHON_TAG" >/dev/null 2>&1; then
    say "$PYTHON_TAG present (cached)"
else
    apt_install debootstrap
    # The Debian mirror this machine already uses (deb822 "URIs:" or one-line "deb URL").
    mirror="$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+)https?://[^[:space:]]*debian/?' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -v security | head -n1 | grep -oE 'https?://[^[:space:]]+' || true)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    say "debootstrap --variant=minbase --include=python3 $SUITE from $mirror (takes a few minutes)"
    debootstrap --variant=minbase --include=python3 "$SUITE" "$root/rootfs" "$mirror" \
        >"$root/debootstrap.log" 2>&1 || { tail -n 30 "$root/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$root/rootfs/var/cache/apt/archives/"*.deb "$root/rootfs/var/lib/apt/lists/"*
    mkdir -p "$root/rootfs/workspace"
    say "importing $PYTHON_TAG"
    tar -C "$root/rootfs" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["/bin/sh"]' - "$PYTHON_TAG" >/dev/null
    rm -rf "$root"
    trap - EXIT
    say "built $PYTHON_TAG"
fi

say "done: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep workbench-test | tr '\n' ' ')"
