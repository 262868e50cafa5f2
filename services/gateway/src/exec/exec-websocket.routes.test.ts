import { test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { WebSocket } from "ws";
import { ANONYMOUS } from "@gantry/platform";
import { eventually, within } from "@gantry/platform/testing";
import type { ExecRouter } from "./exec-router.ts";
import { registerExecWebSocket, resizeOf, startFromQuery } from "./exec-websocket.routes.ts";

test("a resize is a text frame of exactly {resize:{cols,rows}}; anything else is terminal input", () => {
  assert.deepEqual(resizeOf('{"resize":{"cols":120,"rows":40}}'), { columns: 120, rows: 40 });
  assert.equal(resizeOf("ls -l\r"), undefined);
  assert.equal(resizeOf('{"resize":{"cols":"120","rows":40}}'), undefined);
  assert.equal(resizeOf('{"resize":{"cols":1,"rows":2},"x":1}'), undefined);
  assert.equal(resizeOf('{"resize":'), undefined);
});

test("the session's start from the URL: argv from repeated cmd, a terminal by default, sizes checked", () => {
  assert.deepEqual(startFromQuery("t.1", { cmd: ["sh", "-c", "id"], cols: "100", rows: "30" }), { taskId: "t.1", command: ["sh", "-c", "id"], tty: true, stdin: true, size: { columns: 100, rows: 30 }, term: "" });
  assert.deepEqual(startFromQuery("t.1", { cmd: "bash", tty: "0", stdin: "false", cols: "x", term: "xterm" }), { taskId: "t.1", command: ["bash"], tty: false, stdin: false, size: { columns: 80, rows: 24 }, term: "xterm" });
  assert.throws(() => startFromQuery("t.1", {}), /give the command as \?cmd=/);
});

test("output waits for a browser that does not read: the session is not drained into the gateway's memory", async () => {
  const frames = 512;
  const frame = Buffer.alloc(64 << 10, 120); // 32 MiB in all
  let produced = 0;
  const router = {
    checkMayExec() {},
    close() {},
    async *run() {
      for (let i = 0; i < frames; i++) {
        produced++;
        yield { message: { case: "stdout", value: frame } };
      }
      yield { message: { case: "exited", value: { exitCode: 0, signal: "" } } };
    },
  } as unknown as ExecRouter;
  const app = Fastify();
  app.addHook("onRequest", async (request) => {
    request.principal = ANONYMOUS;
  });
  await registerExecWebSocket(app, router);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}/v2/tasks/t.1/exec?cmd=cat`);
  try {
    await within("the socket to open", new Promise((resolve, reject) => client.once("open", resolve).once("error", reject)), 5_000);
    client.pause(); // reads nothing: TCP's buffers fill, then the gateway's
    let seen = -1;
    await eventually("the session to stop producing", () => {
      const still = produced === seen;
      seen = produced;
      return still && produced > 0;
    }, 10_000, 200);
    assert.ok(produced < frames / 2, `${produced} of ${frames} frames taken while the browser read nothing`);
    let received = 0;
    client.on("message", (data: Buffer) => (received += data.length));
    const closed = new Promise<number>((resolve) => client.once("close", (code: number) => resolve(code)));
    client.resume();
    assert.equal(await within("the session to end", closed, 20_000), 1000);
    assert.equal(received, frames * frame.length, "every byte arrives once the browser reads");
  } finally {
    client.terminate();
    await app.close();
  }
});
