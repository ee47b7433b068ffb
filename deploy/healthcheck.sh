#!/bin/bash
# deploy/healthcheck.sh — the containers' HEALTHCHECK, in plain bash so the
# runtime image needs neither curl nor redis-tools (bash's /dev/tcp is the
# client).
#
#   healthcheck.sh gateway [HOST:PORT]   GET /readyz must answer 200
#                                        (default: the port of TS_LISTEN)
#   healthcheck.sh generator [REDIS_URL] the newest tick of the first
#                                        instrument is recent, by Redis's clock
#                                        (default: TS_REDIS_URL; redis:// or
#                                        redis-sentinel:// as the daemons take it)
#
# Exit 0 healthy, 1 unhealthy (with one line on stdout saying why), as Docker
# expects. Every read has a timeout so a hung peer cannot hang the check.
set -u
# A peer that closes early must give a message, not a silent SIGPIPE death.
trap '' PIPE

TIMEOUT=${TS_HEALTH_TIMEOUT:-3}

fail() { echo "unhealthy: $*"; exit 1; }

check_gateway() {
    local hp=${1:-}
    if [ -z "$hp" ]; then
        local listen=${TS_LISTEN:-127.0.0.1:8080}
        hp="127.0.0.1:${listen##*:}"
    fi
    local host=${hp%:*} port=${hp##*:}
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || fail "cannot connect to $hp"
    printf 'GET /readyz HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hp" >&3 2>/dev/null \
        || fail "cannot send to $hp"
    local status
    IFS= read -r -t "$TIMEOUT" status <&3 || fail "no answer from $hp/readyz"
    exec 3<&-
    status=${status%$'\r'}
    case "$status" in
        "HTTP/1."?" 200"*) echo "healthy: $status"; exit 0 ;;
        *) fail "/readyz said: $status" ;;
    esac
}

# One RESP command: every argument as a bulk string (so `{` and spaces need
# no quoting). Sets REPLY to the flattened reply, one element per line.
redis_cmd() {
    local out="*$#"$'\r\n' a
    for a in "$@"; do out+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
    printf '%s' "$out" >&3 2>/dev/null || return 1
    REPLY_LINES=()
    redis_read || return 1
}

# Reads one reply (recursively for arrays) into REPLY_LINES.
redis_read() {
    local line n i
    IFS= read -r -t "$TIMEOUT" line <&3 || return 1
    line=${line%$'\r'}
    case "$line" in
        '+'*|':'*) REPLY_LINES+=("${line:1}") ;;
        '-'*) fail "redis: ${line:1}" ;;
        '$-1'|'*-1') REPLY_LINES+=("") ;;
        '$'*)
            IFS= read -r -t "$TIMEOUT" line <&3 || return 1
            REPLY_LINES+=("${line%$'\r'}") ;;
        '*'*)
            n=${line:1}
            for ((i = 0; i < n; i++)); do redis_read || return 1; done ;;
        *) fail "redis: unexpected reply '$line'" ;;
    esac
}

# sentinel_master URL: a redis-sentinel:// URL → the redis:// URL of the
# master the first answering sentinel names (with the URL's credentials and db).
sentinel_master() {
    local rest=${1#redis-sentinel://} cred="" query="" spass="" suser="" db=0 s h p
    case "$rest" in *\?*) query=${rest#*\?}; rest=${rest%%\?*} ;; esac
    case "$rest" in *@*) cred="${rest%@*}@"; rest=${rest##*@} ;; esac
    local name=${rest#*/} hosts=${rest%%/*} kv
    local IFS='&'
    for kv in $query; do
        case "$kv" in
            db=*) db=${kv#db=} ;;
            sentinel_user=*) suser=${kv#sentinel_user=} ;;
            sentinel_password=*) spass=${kv#sentinel_password=} ;;
        esac
    done
    IFS=','
    for s in $hosts; do
        h=${s%:*} p=26379
        case "$s" in *:*) p=${s##*:} ;; esac
        { exec 3<>"/dev/tcp/$h/$p"; } 2>/dev/null || continue
        if [ -n "$suser" ]; then redis_cmd AUTH "$suser" "$spass" || continue
        elif [ -n "$spass" ]; then redis_cmd AUTH "$spass" || continue; fi
        redis_cmd SENTINEL get-master-addr-by-name "$name" || continue
        exec 3<&-
        [ -n "${REPLY_LINES[0]:-}" ] || continue
        MASTER_URL="redis://$cred${REPLY_LINES[0]}:${REPLY_LINES[1]}/$db"
        return 0
    done
    fail "no sentinel of $hosts names master $name"
}

check_generator() {
    local url=${1:-${TS_REDIS_URL:-redis://127.0.0.1:6379}}
    case "$url" in redis-sentinel://*) sentinel_master "$url"; url=$MASTER_URL ;; esac
    local rest=${url#redis://} user="" pass="" db=0
    case "$rest" in */*) db=${rest##*/}; rest=${rest%%/*} ;; esac
    case "$rest" in *@*) pass=${rest%@*}; user=${pass%%:*}; pass=${pass#*:}; rest=${rest##*@} ;; esac
    local host=${rest%:*} port=6379
    case "$rest" in *:*) port=${rest##*:} ;; esac
    [ -n "$db" ] || db=0

    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || fail "cannot connect to redis at $host:$port"
    if [ -n "$user" ]; then redis_cmd AUTH "$user" "$pass" || fail "no answer to AUTH"
    elif [ -n "$pass" ]; then redis_cmd AUTH "$pass" || fail "no answer to AUTH"; fi
    if [ "$db" != 0 ]; then redis_cmd SELECT "$db" || fail "no answer to SELECT"; fi

    redis_cmd HGET ts:meta interval_ms || fail "no answer from redis"
    local interval=${REPLY_LINES[0]}
    [ -n "$interval" ] || fail "ts:meta has no interval_ms (generator not started yet)"
    # LRANGE and TIME: commands the generator's ACL user has (deploy/redis/users.acl).
    redis_cmd LRANGE ts:instruments 0 0 || fail "no answer from redis"
    local first=${REPLY_LINES[0]}
    [ -n "$first" ] || fail "ts:instruments is empty"
    redis_cmd XREVRANGE "ts:tick:{$first}" + - COUNT 1 || fail "no answer from redis"
    local id=${REPLY_LINES[0]:-}
    [ -n "$id" ] || fail "stream ts:tick:{$first} is empty"
    redis_cmd TIME || fail "no answer from redis"
    local now_ms=$(( ${REPLY_LINES[0]} * 1000 + ${REPLY_LINES[1]} / 1000 ))
    exec 3<&-

    local last=${id%-*}
    local age=$(( now_ms - last ))
    # A tick is due every interval; allow a few to be in flight or delayed.
    local limit=$(( 3 * interval > interval + 5000 ? 3 * interval : interval + 5000 ))
    [ "$age" -le "$limit" ] || fail "newest tick of $first is ${age} ms old (limit ${limit} ms)"
    echo "healthy: newest tick of $first is ${age} ms old"
    exit 0
}

case "${1:-}" in
    gateway) check_gateway "${2:-}" ;;
    generator) check_generator "${2:-}" ;;
    *) echo "usage: $0 gateway [HOST:PORT] | generator [REDIS_URL]" >&2; exit 2 ;;
esac
