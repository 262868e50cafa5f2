import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { compileLaunchOptions, type RawLaunchOptions } from "./launch-options.ts";

const raw: RawLaunchOptions = { cluster: "demo", host: "127.0.0.1", port: 0, gantryHome: "/h/.gantry", agents: "2", logFormat: "json" };
const streams = { out: new PassThrough(), logs: new PassThrough() };

test("the data dir defaults to $GANTRY_HOME/<cluster>; a given one is made absolute", () => {
  assert.equal(compileLaunchOptions(raw, {}, streams).dataDir, "/h/.gantry/demo");
  assert.equal(compileLaunchOptions({ ...raw, dataDir: "rel/dir" }, {}, streams).dataDir, `${process.cwd()}/rel/dir`);
  assert.equal(compileLaunchOptions(raw, {}, streams).agents, 2);
});

test("bad flags are refused naming the flag", () => {
  assert.throws(() => compileLaunchOptions({ ...raw, agents: "two" }, {}, streams), /--agents: "two" is not a number of agents from 0 to 32/);
  assert.throws(() => compileLaunchOptions({ ...raw, agents: "-1" }, {}, streams), /--agents/);
  assert.throws(() => compileLaunchOptions({ ...raw, logFormat: "xml" }, {}, streams), /--log-format: "xml" is not one of pretty, json/);
  assert.throws(() => compileLaunchOptions({ ...raw, cluster: "Bad_Name" }, {}, streams), /cluster name "Bad_Name" is invalid/);
});
