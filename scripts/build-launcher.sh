#!/usr/bin/env bash
# Builds the agent's task launcher, services/agent/launcher/bin/gantry-task-launcher (a small C
# program: libc and Linux system calls only; see services/agent/launcher/README.md), with the C
# compiler found as $CC, cc or gcc. Rebuilds only when a source changed (make).
#   bash scripts/build-launcher.sh                 fails when there is no C compiler
#   bash scripts/build-launcher.sh --if-possible   (npm's postinstall) warns and succeeds instead,
#                                                  so that installing on a machine without one works;
#                                                  the agent then says how to build it when it starts
set -euo pipefail
cd "$(dirname "$0")/../services/agent/launcher"

if_possible=0
[ "${1:-}" = "--if-possible" ] && if_possible=1

cc="${CC:-}"
if [ -z "$cc" ]; then
  for candidate in cc gcc; do
    if command -v "$candidate" >/dev/null 2>&1; then cc="$candidate"; break; fi
  done
fi
if [ -z "$cc" ] || ! command -v make >/dev/null 2>&1; then
  msg="gantry-task-launcher not built: needs a C compiler (cc/gcc) and make (Debian: apt-get install gcc libc6-dev make)"
  if [ "$if_possible" = 1 ]; then echo "warning: $msg" >&2; exit 0; fi
  echo "error: $msg" >&2
  exit 1
fi
if [ "$(uname -s)" != "Linux" ]; then
  msg="gantry-task-launcher not built: it is for Linux only"
  if [ "$if_possible" = 1 ]; then echo "warning: $msg" >&2; exit 0; fi
  echo "error: $msg" >&2
  exit 1
fi
make --no-print-directory -s CC="$cc" bin/gantry-task-launcher
echo "services/agent/launcher/bin/gantry-task-launcher built"
