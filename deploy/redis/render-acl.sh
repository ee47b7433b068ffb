#!/bin/sh
# deploy/redis/render-acl.sh — writes Redis's ACL file from users.acl with
# the two passwords filled in as SHA-256 hashes (the file holds no password):
#
#   render-acl.sh [TEMPLATE] > users.acl     then: redis-server --aclfile users.acl
#
# Passwords come only from the environment or from files, never from flags:
#   TS_REDIS_TICKGEN_PASSWORD or TS_REDIS_TICKGEN_PASSWORD_FILE  (user tickgen)
#   TS_REDIS_TICKGW_PASSWORD  or TS_REDIS_TICKGW_PASSWORD_FILE   (user tickgw)
# and, only for a Redis with replicas and sentinels (the user is left out
# when its password is not set):
#   TS_REDIS_REPLICA_PASSWORD  or …_FILE  (user replica: a replica's masteruser)
#   TS_REDIS_SENTINEL_PASSWORD or …_FILE  (user sentinel: sentinel auth-user)
# The users (docs/REDIS.md, "Redis users"): `default` off — no client can
# use it — but with every command on ts:* keys, because Redis 7 replays a
# MULTI/EXEC from the AOF as the default user and re-checks its permissions
# at EXEC (redis/redis#14541): without them a restart silently drops every
# tick (ACL files take no comments, hence this note here); `tickgen` may read
# and write ts:* and publish on ts:live, with the commands it sends and
# nothing else; `tickgw` may only read ts:* and subscribe to ts:live;
# `replica` may only replicate; `sentinel` has what Sentinel sends.
set -eu
template=${1:-$(dirname "$0")/users.acl}

# password NAME [optional]: the SHA-256 of NAME's password from $VAR or the
# file $VAR_FILE; empty when optional and neither is set.
password() {
    eval "v=\${TS_REDIS_$1_PASSWORD:-}; f=\${TS_REDIS_$1_PASSWORD_FILE:-}"
    if [ -n "$f" ]; then
        [ -r "$f" ] || { echo "render-acl.sh: cannot read TS_REDIS_$1_PASSWORD_FILE ($f)" >&2; exit 1; }
        v=$(cat "$f")
    fi
    if [ -z "$v" ]; then
        [ -n "${2:-}" ] && return 0
        echo "render-acl.sh: set TS_REDIS_$1_PASSWORD or TS_REDIS_$1_PASSWORD_FILE" >&2
        exit 1
    fi
    printf '%s' "$v" | sha256sum | cut -d' ' -f1
}

gen=$(password TICKGEN)
gw=$(password TICKGW)
replica=$(password REPLICA optional)
sentinel=$(password SENTINEL optional)
# An optional user whose password is not set is left out (it does not exist).
drop=""
[ -n "$replica" ] || drop="$drop -e /@REPLICA_SHA256@/d"
[ -n "$sentinel" ] || drop="$drop -e /@SENTINEL_SHA256@/d"
# shellcheck disable=SC2086 # $drop is a list of sed arguments
sed $drop -e "s/@TICKGEN_SHA256@/$gen/" -e "s/@TICKGW_SHA256@/$gw/" \
    -e "s/@REPLICA_SHA256@/$replica/" -e "s/@SENTINEL_SHA256@/$sentinel/" "$template"
