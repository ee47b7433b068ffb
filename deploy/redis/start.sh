#!/bin/sh
# deploy/redis/start.sh — the compose redis service's command: renders the
# ACL file (users.acl, passwords from the TS_REDIS_*_PASSWORD variables) into
# /tmp, then starts Redis through the image's own entrypoint with it and the
# given options:
#
#   start.sh [redis-server options…]
#
# Works with the official image (started as root: its entrypoint then drops
# to the user redis) and with tickstream/redis (started as redis). The file
# holds SHA-256 hashes only, never a password.
set -eu
here=$(dirname "$0")
umask 022
sh "$here/render-acl.sh" "$here/users.acl" > /tmp/users.acl
exec docker-entrypoint.sh redis-server --aclfile /tmp/users.acl "$@"
