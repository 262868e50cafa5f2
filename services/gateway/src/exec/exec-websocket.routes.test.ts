import { test } from "node:test";
import assert from "node:assert/strict";
import { resizeOf, startFromQuery } from "./exec-websocket.routes.ts";

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
