#!/bin/bash
# tools/images.sh — `make images`: every image of docker-compose.yml built
# from a Debian mirror alone, for hosts that cannot reach Docker Hub:
#
#   tickstream/debian:bookworm-slim  debootstrap --variant=minbase, slimmed
#                                    like debian:bookworm-slim, `docker import`ed
#                                    (skipped when the image exists)
#   tickstream/redis:bookworm        deploy/redis/Dockerfile: Debian's redis-server
#   tickstream/haproxy:bookworm      deploy/haproxy/Dockerfile: Debian's haproxy
#   tickstream/prometheus:bookworm   deploy/prometheus/Dockerfile: Debian's prometheus
#                                    (the compose file's monitoring profile)
#   tickstream/tickgen:latest        deploy/Dockerfile, targets generator and
#   tickstream/tickgw:latest         gateway, on the base above
#
# The mirror is the host's own: the first `bookworm` source (and the
# `bookworm-security` one) in /etc/apt/sources.list{,.d/*.list,.d/*.sources},
# or TS_DEBIAN_MIRROR / TS_DEBIAN_SECURITY_MIRROR. It is written into the
# base image's apt sources (as debootstrap does), nowhere else.
#
# Environment:
#   TS_BASE_IMAGE      base image to build on (default tickstream/debian:bookworm-slim;
#                      another name, e.g. debian:bookworm-slim, is pulled if missing)
#   TS_REDIS_IMAGE     tag of the Redis image   (tickstream/redis:bookworm)
#   TS_HAPROXY_IMAGE   tag of the HAProxy image (tickstream/haproxy:bookworm)
#   TS_PROMETHEUS_IMAGE tag of the Prometheus image (tickstream/prometheus:bookworm)
#   TS_EXTRA_CA_CERTS  PEM text of extra CA certificates for apt and npm in the
#                      builds (a TLS-intercepting proxy); see deploy/README.md
#   TS_EXTRA_CA_FILES  files to read them from when TS_EXTRA_CA_CERTS is empty
#                      (default "/usr/local/share/ca-certificates/*.crt"; "" for none)
#   TS_IMAGES          which to build: any of "base redis haproxy prometheus app" (all five)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${TS_BASE_IMAGE:-tickstream/debian:bookworm-slim}
REDIS=${TS_REDIS_IMAGE:-tickstream/redis:bookworm}
HAPROXY=${TS_HAPROXY_IMAGE:-tickstream/haproxy:bookworm}
PROMETHEUS=${TS_PROMETHEUS_IMAGE:-tickstream/prometheus:bookworm}
WHICH=${TS_IMAGES:-base redis haproxy prometheus app}
SUITE=bookworm

say() { echo "images: $*"; }
die() { echo "images: $*" >&2; exit 1; }
want() { case " $WHICH " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

command -v docker >/dev/null || die "no docker command: run 'make deps' (installs docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd as root, e.g. 'sudo dockerd &' or 'sudo systemctl start docker')"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Prints "URI SUITE" for every deb source of the host, one-line and deb822 formats.
host_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENT...
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no")
                    for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
                types = ""; enabled = ""; nu = 0; ns = 0
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "types:" { $1 = ""; types = $0 }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++nu] = $i }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[++ns] = $i }
            END { flush() }' "$f"
    done
}
mirror_for() { host_sources | awk -v s="$1" '$2 == s { print $1; exit }'; }

build_base() {
    local mirror security root
    mirror=${TS_DEBIAN_MIRROR:-$(mirror_for "$SUITE")}
    security=${TS_DEBIAN_SECURITY_MIRROR:-$(mirror_for "$SUITE-security")}
    [ -n "$mirror" ] || die "no '$SUITE' source in the host's apt sources: set TS_DEBIAN_MIRROR=http://…/debian"
    command -v debootstrap >/dev/null || die "no debootstrap: run 'make deps'"
    root=$(mktemp -d "${TMPDIR:-/tmp}/ts-debootstrap.XXXXXX")
    # shellcheck disable=SC2064
    trap "$SUDO rm -rf '$root'" EXIT
    say "debootstrap $SUITE (minbase) from the host's Debian mirror into $root"
    $SUDO debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 \
        || { tail -20 "$root.log" >&2; die "debootstrap failed (log above)"; }
    rm -f "$root.log"

    # As debian:bookworm-slim: no docs, man pages or locales, now or in later
    # installs; no package lists or caches; apt sources as deb822.
    $SUDO sh -eu -c '
        root=$1 suite=$2 mirror=$3 security=$4
        cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
        cat > "$root/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
        echo "Acquire::Languages \"none\";" > "$root/etc/apt/apt.conf.d/docker-no-languages"
        find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
        find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
        rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/groff/"* \
               "$root/usr/share/lintian/"* "$root/usr/share/linda/"*
        find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb \
               "$root/var/cache/debconf/"*-old "$root/var/lib/dpkg/"*-old "$root/var/log/"*.log \
               "$root/var/log/apt/"* "$root/etc/apt/sources.list"
        # The container engine provides these; keep nothing of the build host.
        : > "$root/etc/resolv.conf"; : > "$root/etc/hostname"
        {
            printf "Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" "$mirror" "$suite" "$suite"
            [ -z "$security" ] || printf "\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" "$security" "$suite"
        } > "$root/etc/apt/sources.list.d/debian.sources"
    ' sh "$root" "$SUITE" "$mirror" "$security"

    say "docker import → $BASE"
    $SUDO tar -C "$root" --numeric-owner -cf - . \
        | docker import --change 'CMD ["bash"]' --message "debootstrap --variant=minbase $SUITE, slimmed (tools/images.sh)" - "$BASE" >/dev/null
    $SUDO rm -rf "$root"
    trap - EXIT
}

# Extra CA certificates, as one PEM text for the EXTRA_CA_CERTS build argument:
# TS_EXTRA_CA_CERTS, else the files of TS_EXTRA_CA_FILES — by default the
# host's own additions to its system bundle, which is where a TLS-intercepting
# proxy's CA goes on Debian (none there: none passed).
CA=${TS_EXTRA_CA_CERTS:-}
if [ -z "$CA" ]; then
    # shellcheck disable=SC2086
    CA=$(cat ${TS_EXTRA_CA_FILES-/usr/local/share/ca-certificates/*.crt} 2>/dev/null || true)
fi
# Docker hands build arguments to RUN as environment variables, and Linux
# refuses one longer than 128 KiB (E2BIG): a proxy's CA fits, a system bundle does not.
if [ "${#CA}" -ge 131000 ]; then
    die "extra CA certificates are ${#CA} bytes: more than a build argument can carry (128 KiB); give the proxy's CA only, not a whole bundle"
fi
[ -z "$CA" ] || say "extra CA certificates: $(grep -c 'BEGIN CERTIFICATE' <<<"$CA") (build argument EXTRA_CA_CERTS)"

LOG=$(mktemp "${TMPDIR:-/tmp}/ts-images.XXXXXX")
build() { # build TAG DOCKERFILE CONTEXT [ARGS...]
    local tag=$1 file=$2 ctx=$3 t0=$SECONDS
    shift 3
    if ! docker build --force-rm -t "$tag" -f "$file" --build-arg DEBIAN_IMAGE="$BASE" \
        --build-arg EXTRA_CA_CERTS="$CA" "$@" "$ctx" >"$LOG" 2>&1; then
        tail -40 "$LOG" >&2
        rm -f "$LOG"
        die "docker build $tag failed (output above)"
    fi
    say "built $tag ($file) in $((SECONDS - t0)) s"
}

if want base; then
    if docker image inspect "$BASE" >/dev/null 2>&1; then
        say "$BASE is there (docker rmi it to bootstrap again)"
    elif [[ "$BASE" == tickstream/* ]]; then
        build_base
    else
        say "docker pull $BASE"
        docker pull -q "$BASE" >/dev/null
    fi
fi
want redis && build "$REDIS" deploy/redis/Dockerfile deploy/redis
want haproxy && build "$HAPROXY" deploy/haproxy/Dockerfile deploy/haproxy
want prometheus && build "$PROMETHEUS" deploy/prometheus/Dockerfile deploy/prometheus
if want app; then
    build tickstream/tickgen:latest deploy/Dockerfile . --target generator
    build tickstream/tickgw:latest deploy/Dockerfile . --target gateway
fi

rm -f "$LOG"
say "done:"
for img in "$BASE" "$REDIS" "$HAPROXY" "$PROMETHEUS" tickstream/tickgen:latest tickstream/tickgw:latest; do
    size=$(docker image inspect -f "{{.Size}}" "$img" 2>/dev/null) || continue
    awk -v i="$img" -v s="$size" 'BEGIN { printf "  %-34s %6.1f MB\n", i, s / 1e6 }'
done
