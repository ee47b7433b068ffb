#!/bin/sh
# deploy/redis/start.sh — the compose redis services' command: renders the
# ACL file (users.acl, passwords from the TS_REDIS_*_PASSWORD variables),
# then starts Redis through the image's own entrypoint with it and the given
# options:
#
#   start.sh [redis-server options…]
#
# With TS_REDIS_REPLICA_PASSWORD set (docker-compose.sentinel.yml) it also
# writes a config file holding `masteruser replica` and its password, so any
# of the servers can replicate whichever one the sentinels make master, and
# with TS_REDIS_REPLICAOF=host[:port] it starts as that server's replica.
# The file lives in TS_REDIS_CONF_DIR (/tmp) and is Redis's own: the
# sentinels rewrite it (CONFIG REWRITE) after a failover.
#
# Works with the official image (started as root: its entrypoint then drops
# to the user redis, who must own the files) and with tickstream/redis
# (started as redis). Passwords go into files, never onto a command line;
# the ACL file holds SHA-256 hashes only.
set -eu
here=$(dirname "$0")
dir=${TS_REDIS_CONF_DIR:-/tmp}
umask 077
sh "$here/render-acl.sh" "$here/users.acl" > "$dir/users.acl"
# Written once: a restarted container keeps the role the sentinels gave it.
if [ ! -f "$dir/redis.conf" ]; then
    : > "$dir/redis.conf"
    if [ -n "${TS_REDIS_REPLICA_PASSWORD:-}" ]; then
        printf 'masteruser replica\nmasterauth "%s"\n' "$TS_REDIS_REPLICA_PASSWORD" >> "$dir/redis.conf"
    fi
    if [ -n "${TS_REDIS_REPLICAOF:-}" ]; then
        host=${TS_REDIS_REPLICAOF%:*} port=6379
        case "$TS_REDIS_REPLICAOF" in *:*) port=${TS_REDIS_REPLICAOF##*:} ;; esac
        printf 'replicaof %s %s\n' "$host" "$port" >> "$dir/redis.conf"
    fi
fi
if [ "$(id -u)" = 0 ] && id redis >/dev/null 2>&1; then
    chown redis "$dir/users.acl" "$dir/redis.conf"
fi
exec docker-entrypoint.sh redis-server "$dir/redis.conf" --aclfile "$dir/users.acl" "$@"
