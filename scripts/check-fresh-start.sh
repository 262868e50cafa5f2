#!/usr/bin/env bash
# Checks the README's run command as a new user meets it: `npx gantry up` (here with --detach, so
# that it can run in the background) with DATABASE_URL and NATS_URL unset, an empty HOME, and a
# network namespace with only loopback up, so that it must start its own PostgreSQL and NATS and
# can reach nothing else. Then: /v2/info and /ping answer with the token, an app added with
# `gantry app add` gets a running task, and `gantry down --purge` leaves nothing behind.
# Every wait has a deadline; the namespace, the HOME and anything still running go on exit.
# Needs root (ip netns) and the packages .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

NETNS="gantry-ci-clean-$$"
FRESH_HOME="$(mktemp -d)"
CLUSTER_FILE="$FRESH_HOME/.gantry/gantry/cluster.json"

# A command in the namespace, as the fresh user: empty HOME, no infrastructure or cluster given.
in_ns() {
  ip netns exec "$NETNS" env -u DATABASE_URL -u NATS_URL -u GANTRY_URL -u GANTRY_TOKEN -u GANTRY_CLUSTER -u GANTRY_HOME \
    HOME="$FRESH_HOME" "$@"
}

cleanup() {
  local status=$?
  if [ $status -ne 0 ] && [ -f "$FRESH_HOME/.gantry/gantry/gantry.log" ]; then
    echo "--- last lines of gantry.log ---"
    tail -n 40 "$FRESH_HOME/.gantry/gantry/gantry.log" || true
  fi
  if ip netns list | grep -qw "$NETNS"; then
    in_ns timeout 120 npx gantry down --purge >/dev/null 2>&1 || true
    ip netns del "$NETNS" || true
  fi
  rm -rf "$FRESH_HOME"
  exit $status
}
trap cleanup EXIT

ip netns add "$NETNS"
ip netns exec "$NETNS" ip link set lo up

echo "fresh start: npx gantry up --detach (no DATABASE_URL/NATS_URL, empty HOME, loopback only)"
started=$(date +%s%N)
in_ns timeout 300 npx gantry up --detach
echo "fresh start: first start took $(( ($(date +%s%N) - started) / 1000000 )) ms"

url=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url)' "$CLUSTER_FILE")
token=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).token)' "$CLUSTER_FILE")
in_ns timeout 10 curl -fsS -H "Authorization: token=$token" "$url/v2/info" | grep -q '"name":"gantry"'
[ "$(in_ns timeout 10 curl -fsS -H "Authorization: token=$token" "$url/ping")" = "pong" ]
echo "fresh start: /v2/info and /ping answer"

echo '{"id":"/fresh-start","cmd":"sleep 600","cpus":0.1,"mem":16}' | in_ns timeout 120 npx gantry app add
deadline=$(( $(date +%s) + 60 ))
until in_ns timeout 20 npx gantry task list | grep -q TASK_RUNNING; do
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "fresh start: no running task of /fresh-start after 60 s" >&2
    in_ns timeout 20 npx gantry task list >&2 || true
    exit 1
  fi
  sleep 1
done
echo "fresh start: a task of /fresh-start runs"

in_ns timeout 120 npx gantry doctor
in_ns timeout 120 npx gantry down --purge
[ ! -e "$FRESH_HOME/.gantry/gantry" ] || { echo "fresh start: gantry down --purge left $FRESH_HOME/.gantry/gantry" >&2; exit 1; }
echo "fresh start: ok"
