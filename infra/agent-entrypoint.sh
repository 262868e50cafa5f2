#!/bin/sh
# Entry point of the agent's container (infra/compose.yaml): makes the container's cgroup usable
# for the agent's per-task groups, then runs the agent ("$@").
#
# cgroup v2 forbids enabling controllers for the children of a group that holds processes
# ("no internal processes"), and in a container with its own cgroup namespace everything starts
# in the namespace's root group. So, as docker-in-docker does, move every process (at this point
# only this shell) into a leaf group `init`; the agent then enables cpu and memory at the root and
# puts tasks in /sys/fs/cgroup/gantry/<agentId>/<taskId> beside it. cgroup v1 needs nothing:
# each controller's hierarchy is mounted on its own and allows processes anywhere.
set -eu
cgroup=/sys/fs/cgroup
if [ -f "$cgroup/cgroup.controllers" ] && [ -w "$cgroup/cgroup.subtree_control" ]; then
  mkdir -p "$cgroup/init"
  xargs -rn1 < "$cgroup/cgroup.procs" > "$cgroup/init/cgroup.procs" 2>/dev/null || :
fi
exec "$@"
