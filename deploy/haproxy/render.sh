#!/bin/sh
# deploy/haproxy/render.sh — the native variant of deploy/haproxy/haproxy.cfg.
#
#   render.sh [-b BIND] [-u USER] [-c CONFIG] HOST:PORT...   > haproxy.cfg
#
# Prints CONFIG (default: haproxy.cfg beside this script) with its
# `#@docker-begin NAME` … `#@docker-end` regions replaced:
#   resolvers  dropped (no Docker DNS outside containers)
#   bind       `bind BIND` (default 127.0.0.1:8080)
#   servers    one `server gatewayN HOST:PORT` per argument
# -u USER adds `user`/`group` to the global section: for a HAProxy started
# as root (Debian's haproxy.service) to drop its privileges. The containers'
# HAProxy already runs as an unprivileged user, and run-cluster as yours.
# Everything else is the shared file, so the compose and the native load
# balancer cannot drift apart.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cfg="$here/haproxy.cfg"
bind="127.0.0.1:8080"
user=""
usage="usage: $0 [-b BIND] [-u USER] [-c CONFIG] HOST:PORT..."
while getopts b:c:u: opt; do
    case "$opt" in
        b) bind=$OPTARG ;;
        u) user=$OPTARG ;;
        c) cfg=$OPTARG ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
    echo "$usage" >&2
    exit 2
fi

awk -v bind="$bind" -v user="$user" -v servers="$*" '
    /^#@docker-begin / {
        region = $2; seen[region] = 1
        if (region == "bind") print "    bind " bind
        else if (region == "servers") {
            n = split(servers, s, " ")
            for (i = 1; i <= n; i++) printf "    server gateway%d %s\n", i, s[i]
        } else if (region != "resolvers") {
            print "render.sh: unknown region " region > "/dev/stderr"; bad = 1
        }
        skip = 1; next
    }
    /^#@docker-end/ { skip = 0; next }
    !skip { print }
    /^global$/ && user != "" { print "    user " user; print "    group " user }
    END {
        if (!seen["bind"] || !seen["servers"] || !seen["resolvers"]) {
            print "render.sh: a #@docker region is missing" > "/dev/stderr"; bad = 1
        }
        exit bad
    }
' "$cfg"
