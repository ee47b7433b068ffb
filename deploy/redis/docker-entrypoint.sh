#!/bin/sh
# deploy/redis/docker-entrypoint.sh — as the official image's: options alone
# mean redis-server, and redis-server runs with protected mode off unless the
# command turns it on again (a later option wins; a config file stays first).
set -e
if [ "${1#-}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
    shift
    case "${1:-}" in
        "" | -*) set -- redis-server --protected-mode no "$@" ;;
        *) conf=$1; shift; set -- redis-server "$conf" --protected-mode no "$@" ;;
    esac
fi
exec "$@"
