#!/bin/sh
# deploy/redis/render-acl.sh — writes Redis's ACL file from users.acl with
# the two passwords filled in as SHA-256 hashes (the file holds no password):
#
#   render-acl.sh [TEMPLATE] > users.acl     then: redis-server --aclfile users.acl
#
# Passwords come only from the environment or from files, never from flags:
#   TS_REDIS_TICKGEN_PASSWORD or TS_REDIS_TICKGEN_PASSWORD_FILE  (user tickgen)
#   TS_REDIS_TICKGW_PASSWORD  or TS_REDIS_TICKGW_PASSWORD_FILE   (user tickgw)
# The users (docs/REDIS.md, "Redis users"): `default` off; `tickgen` may read
# and write ts:* and publish on ts:live, with the commands it sends and
# nothing else; `tickgw` may only read ts:* and subscribe to ts:live.
set -eu
template=${1:-$(dirname "$0")/users.acl}

# password NAME: the password of NAME from $VAR or the file $VAR_FILE.
password() {
    eval "v=\${TS_REDIS_$1_PASSWORD:-}; f=\${TS_REDIS_$1_PASSWORD_FILE:-}"
    if [ -n "$f" ]; then
        [ -r "$f" ] || { echo "render-acl.sh: cannot read TS_REDIS_$1_PASSWORD_FILE ($f)" >&2; exit 1; }
        v=$(cat "$f")
    fi
    [ -n "$v" ] || { echo "render-acl.sh: set TS_REDIS_$1_PASSWORD or TS_REDIS_$1_PASSWORD_FILE" >&2; exit 1; }
    printf '%s' "$v" | sha256sum | cut -d' ' -f1
}

gen=$(password TICKGEN)
gw=$(password TICKGW)
sed -e "s/@TICKGEN_SHA256@/$gen/" -e "s/@TICKGW_SHA256@/$gw/" "$template"
