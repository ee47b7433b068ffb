#!/bin/sh
# tools/deps.sh — install what a fresh Debian 12 lacks for building, running
# and testing tickstream; say what is installed; do nothing when all is there.
set -eu
cd "$(dirname "$0")/.."

# Build: compiler, pkg-config and the -dev packages of the libraries we use.
# Run: redis. Test: cmocka, redis-sentinel (tests/gw/sentinel.test.js), chromium (browser tests),
# haproxy (native cluster),
# docker-compose (the compose file, and the stack in tests/docker), systemd
# (unit checks), debootstrap (`make images`: the base image from a Debian mirror),
# clang and its runtime libraries (libFuzzer, ASan, UBSan: tests/fuzz; with
# --no-install-recommends clang alone does not bring libclang-rt),
# prometheus (for promtool: /metrics and deploy/prometheus/ are checked with
# it; about 19 MB to download, 12 s to install on a build machine; the
# service the package enables is disabled again, see below),
# libfaketime (tests/gen/clock.test.js steps the generator's wall clock).
APT_PKGS="gcc make pkg-config libc6-dev libhiredis-dev libevent-dev libmsgpack-dev \
libh2o-evloop-dev libwslay-dev libssl-dev zlib1g-dev libcmocka-dev redis-server redis-tools redis-sentinel \
chromium haproxy docker-compose systemd procps debootstrap clang libclang-rt-dev prometheus \
libfaketime"

missing=""
for p in $APT_PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node may come from Debian or elsewhere; only install Debian's when there is none.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# A Docker engine for tests/docker: Debian's docker.io, unless one is installed
# already (Docker CE ships the same files, so the two cannot be installed together).
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || missing="$missing docker.io"

if [ -n "$missing" ]; then
    echo "deps: installing with apt-get:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
    # Debian's prometheus package enables prometheus.service (and starts it
    # on a host that runs systemd). We install it for promtool alone: when
    # this run installed it, leave no Prometheus server running or starting
    # at boot. One installed before is the admin's, and left as it is.
    case " $missing " in
    *" prometheus "*)
        echo "deps: prometheus is installed for promtool only: disabling the prometheus service it enabled"
        if [ -d /run/systemd/system ]; then
            $SUDO systemctl disable --now --quiet prometheus.service \
                || echo "deps: could not disable prometheus.service: run 'sudo systemctl disable --now prometheus'" >&2
        else
            $SUDO systemctl disable --quiet prometheus.service 2>/dev/null || true
        fi
        ;;
    esac
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "deps: installing npm packages from package-lock.json (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi
