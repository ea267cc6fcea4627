#!/bin/sh
# The data volume holds everything that changes, feeds.yaml included: on the first start it is seeded with
# the bundled list, so `feeds add` and /addfeed edit a file that survives the container.
set -e
feeds="${TIESWATCH_FEEDS:-/data/feeds.yaml}"
seed="${TIESWATCH_SEED_FEEDS:-/app/feeds.yaml}"
if [ ! -e "$feeds" ]; then
    cp "$seed" "$feeds"
    echo "tieswatch: $feeds did not exist: seeded with the bundled feed list" >&2
fi
exec "$@"
