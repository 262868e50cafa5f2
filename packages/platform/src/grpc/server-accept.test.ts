import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { within } from "../testing/waits.ts";
import { createGrpcClient, createGrpcServer } from "./index.ts";
import { HealthService } from "./health.ts";
import { authFixture, recordingLogger } from "./test-kit.ts";

test("a server that never listens serves connections handed to it (a port shared with HTTP), also after bytes were read and put back", async () => {
  const server = createGrpcServer({ logger: recordingLogger().logger, authenticator: authFixture().authenticator, services: [] });
  // A listener of its own that reads the first bytes before handing the connection over, as the gateway's shared port does.
  const front = net.createServer((socket) => {
    socket.once("data", (head: Buffer) => {
      socket.pause();
      socket.unshift(head);
      server.accept(socket);
    });
  });
  await within("the front listener", new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve)), 5_000);
  const client = createGrpcClient(HealthService as never, `127.0.0.1:${(front.address() as net.AddressInfo).port}`) as unknown as {
    check(r: { service: string }): Promise<{ status: number }>;
    close(): void;
  };
  try {
    assert.equal((await within("a health check through the handed connection", client.check({ service: "" }), 5_000)).status, 1);
  } finally {
    client.close();
    await server.shutdown(1_000);
    front.close();
  }
});
