#!/usr/bin/env bash
# Generates proto/src/gen from proto/gantry with buf and the local protoc-gen-es (no remote plugins),
# and the Marathon app JSON schema the contract carries (proto/schemas, from the registry's fields).
# With --check, fails when the committed generated code differs from what generation produces.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/node_modules/.bin:$PATH"
cd "$root/proto"
buf lint
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  buf generate --template buf.gen.yaml -o "$tmp"
  if ! diff -r "$tmp/src/gen" src/gen >/dev/null; then
    echo "generated code in proto/src/gen is stale: run 'npm run generate' and commit the result" >&2
    diff -r "$tmp/src/gen" src/gen | head -20 >&2
    exit 1
  fi
  node "$root/scripts/app-schema.ts" --check
  echo "generated code is up to date"
else
  rm -rf src/gen
  buf generate
  node "$root/scripts/app-schema.ts"
fi
