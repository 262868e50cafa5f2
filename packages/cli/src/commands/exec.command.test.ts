import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";
import { PassThrough, Writable } from "node:stream";
import { eventually, within } from "@gantry/platform/testing";
import type { ApiClient } from "../api-client.ts";
import { resolvePodTask, resolveTask } from "./exec.command.ts";
import { detachScanner, runExecSession } from "./exec-session.ts";

const task = (taskId: string, instanceId = "", appId = "/a") => create(schedulerV1Model.TaskSchema, { taskId, instanceId, appId });
const tasks = [task("shop_web.1a2b"), task("shop_web.1a9z"), task("shop_db.77"), task("inst-9f.web", "inst-9f", "/p"), task("inst-9f.cache", "inst-9f", "/p"), task("inst-8e.web", "inst-8e", "/p")];

test("a task by its full id, or by the one id containing the part given", () => {
  assert.equal(resolveTask(tasks, "shop_db.77").taskId, "shop_db.77");
  assert.equal(resolveTask(tasks, "db").taskId, "shop_db.77");
  assert.equal(resolveTask(tasks, "1a9").taskId, "shop_web.1a9z");
});

test("no match is NotFound; several list the candidates", () => {
  assert.throws(() => resolveTask(tasks, "nope"), (e: Error & { code?: string }) => e.code === "NotFound" && /no running task matches "nope"/.test(e.message));
  assert.throws(() => resolveTask(tasks, "shop_web.1a"), (e: Error & { code?: string }) => e.code === "InvalidArgument" && e.message.includes("shop_web.1a2b") && e.message.includes("shop_web.1a9z"));
});

test("a pod container by instance (or part of it) and container name", () => {
  assert.equal(resolvePodTask(tasks, "9f", "cache").taskId, "inst-9f.cache");
  assert.throws(() => resolvePodTask(tasks, "inst", "web"), /matches 2 pod instances/);
  assert.throws(() => resolvePodTask(tasks, "9f", "db"), /no running pod instance matching "9f" has a container "db"/);
});

test("Ctrl-P Ctrl-Q detaches, also split across reads; what was typed before still goes", () => {
  const scan = detachScanner();
  assert.deepEqual(scan(Buffer.from("ls\x10")), { send: Buffer.from("ls\x10"), detach: false });
  assert.deepEqual(scan(Buffer.from("\x11")), { send: Buffer.from(""), detach: true });
  const again = detachScanner();
  assert.deepEqual(again(Buffer.from("ab\x10\x11cd")), { send: Buffer.from("ab"), detach: true });
  assert.deepEqual(detachScanner()(Buffer.from("\x10x\x11")), { send: Buffer.from("\x10x\x11"), detach: false });
});

test("output waits for a full terminal to drain before the next message is taken (flow control reaches the command)", async () => {
  let taken = 0;
  const responses = [
    { message: { case: "started", value: {} } },
    { message: { case: "stdout", value: Buffer.from("first") } },
    { message: { case: "stdout", value: Buffer.from("second") } },
    { message: { case: "exited", value: { exitCode: 7, signal: "" } } },
  ];
  const api = { exec: { exec: async function* () { for (const r of responses) { taken++; yield r; } } } } as unknown as ApiClient;
  const written: string[] = [];
  let release: (() => void) | undefined;
  // A terminal that takes one write and holds it (highWaterMark 1: full at once).
  const stdout = Object.assign(new Writable({ highWaterMark: 1, write(chunk: Buffer, _enc, callback) { written.push(chunk.toString()); release = callback; } }), { columns: 80, rows: 24 });
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const session = runExecSession(api, { taskId: "t", command: ["cat"], interactive: false, tty: false }, { stdin, stdout, stderr: new PassThrough() });
  await eventually("the first output written", () => written.length === 1, 5_000, 5);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(taken, 2, "the next message is not taken while the terminal is full");
  assert.deepEqual(written, ["first"]);
  release!();
  await eventually("the second output written", () => written.length === 2, 5_000, 5);
  release!();
  assert.equal(await within("the session's exit code", session, 5_000), 7);
});

test("a terminal that is gone (its stream destroyed) does not hold the session: the command's exit code still comes", async () => {
  const responses = [
    { message: { case: "started", value: {} } },
    { message: { case: "stdout", value: Buffer.from("first") } },
    { message: { case: "stdout", value: Buffer.from("second") } },
    { message: { case: "exited", value: { exitCode: 7, signal: "" } } },
  ];
  const api = { exec: { exec: async function* () { yield* responses; } } } as unknown as ApiClient;
  const stdout = Object.assign(new Writable({ write: (_chunk, _enc, callback) => callback() }), { columns: 80, rows: 24 });
  stdout.on("error", () => undefined);
  stdout.destroy();
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const session = runExecSession(api, { taskId: "t", command: ["cat"], interactive: false, tty: false }, { stdin, stdout, stderr: new PassThrough() });
  assert.equal(await within("the session's exit code", session, 5_000), 7);
});
