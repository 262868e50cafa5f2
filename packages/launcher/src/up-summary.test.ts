import assert from "node:assert/strict";
import { test } from "node:test";
import { formatUpSummary } from "./up-summary.ts";

const base = { url: "http://127.0.0.1:8080", token: "gty_T", cluster: "gantry", dataDir: "/h/.gantry/gantry", agents: 1 };

test("the summary gives the gateway, the token, an export line and three commands to try", () => {
  const text = formatUpSummary({ ...base, detached: false });
  assert.match(text, /gateway \(HTTP and gRPC\): http:\/\/127\.0\.0\.1:8080/);
  assert.match(text, /admin token: +gty_T/);
  assert.match(text, /^export GANTRY_URL=http:\/\/127\.0\.0\.1:8080 GANTRY_TOKEN=gty_T$/m);
  const tries = text.split("Try:\n")[1]!.split("\n\n")[0]!.split("\n");
  assert.equal(tries.length, 3);
  assert.match(text, /Ctrl-C/);
});

test("another cluster is named in the export line and in how to stop a detached one", () => {
  const text = formatUpSummary({ ...base, cluster: "edge", agents: 2, detached: true });
  assert.match(text, /GANTRY_CLUSTER=edge$/m);
  assert.match(text, /2 agents/);
  assert.match(text, /npx gantry down --cluster edge/);
});
