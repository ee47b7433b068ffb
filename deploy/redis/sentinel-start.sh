#!/bin/sh
# deploy/redis/sentinel-start.sh — a compose sentinel service's command:
# writes the sentinel's config file, then runs redis-sentinel through the
# image's entrypoint (as redis-server … --sentinel, so the official image
# drops to the user redis as for a server); further options are passed on.
#
#   TS_SENTINEL_MASTER   host:port of the first master (redis:6379); the name
#                        is mymaster, the quorum 2
#   TS_SENTINEL_PORT     port to listen on (26379)
#   TS_REDIS_SENTINEL_PASSWORD  the servers' ACL user `sentinel` (users.acl)
#   TS_SENTINEL_PASSWORD        the sentinels' own requirepass, which clients
#                        (the daemons: ?sentinel_password=) and the other
#                        sentinels use
#   TS_SENTINEL_DOWN_AFTER  down-after-milliseconds (5000)
#   TS_REDIS_CONF_DIR    where the file goes (/tmp: writable by the user
#                        redis, which the sentinel needs to rewrite it)
set -eu
dir=${TS_REDIS_CONF_DIR:-/tmp}
master=${TS_SENTINEL_MASTER:-redis:6379}
: "${TS_REDIS_SENTINEL_PASSWORD:?set TS_REDIS_SENTINEL_PASSWORD}" "${TS_SENTINEL_PASSWORD:?set TS_SENTINEL_PASSWORD}"
umask 077
# Written once: a restarted container keeps what the sentinel learnt (the
# current master after a failover), which it rewrote into this file.
[ -f "$dir/sentinel.conf" ] || cat > "$dir/sentinel.conf" <<CONF
port ${TS_SENTINEL_PORT:-26379}
dir $dir
sentinel resolve-hostnames yes
sentinel monitor mymaster ${master%:*} ${master##*:} 2
sentinel auth-user mymaster sentinel
sentinel auth-pass mymaster "$TS_REDIS_SENTINEL_PASSWORD"
sentinel down-after-milliseconds mymaster ${TS_SENTINEL_DOWN_AFTER:-5000}
sentinel failover-timeout mymaster 60000
sentinel parallel-syncs mymaster 1
requirepass "$TS_SENTINEL_PASSWORD"
sentinel sentinel-pass "$TS_SENTINEL_PASSWORD"
CONF
if [ "$(id -u)" = 0 ] && id redis >/dev/null 2>&1; then
    chown redis "$dir/sentinel.conf"
fi
exec docker-entrypoint.sh redis-server "$dir/sentinel.conf" --sentinel "$@"
