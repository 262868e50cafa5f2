import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import { classifyOpening, listenSharedPort } from "./shared-port.ts";

test("a connection is told apart only once its opening bytes decide", () => {
  assert.equal(classifyOpening(Buffer.from("P")), "undecided", "POST and PUT start with P too");
  assert.equal(classifyOpening(Buffer.from("POST / HTTP/1.1\r\n")), "http");
  assert.equal(classifyOpening(Buffer.from("GET /ping")), "http");
  assert.equal(classifyOpening(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")), "h2");
});

test("HTTP split after its first byte still reaches the HTTP server, and a reset before any byte harms nothing", async () => {
  const server = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));
  const grpc = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => grpc.listen(0, "127.0.0.1", r));
  const shared = await listenSharedPort("127.0.0.1", 0, server, (grpc.address() as net.AddressInfo).port);
  try {
    const reset = net.connect(shared.port, "127.0.0.1");
    await new Promise<void>((r) => reset.once("connect", () => r()));
    reset.resetAndDestroy();
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect(shared.port, "127.0.0.1", () => {
        c.write("P");
        setTimeout(() => c.write("OST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), 50);
      });
      let text = "";
      c.on("data", (d) => (text += d));
      c.on("end", () => resolve(text));
      c.on("error", reject);
    });
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.match(reply, /POST \/split$/);
  } finally {
    await shared.close();
    grpc.close();
  }
});
