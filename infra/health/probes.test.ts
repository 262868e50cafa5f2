/**
 * The container health probes against what they probe in the layout: a real Gantry gRPC server
 * (its grpc.health.v1 service, SERVING until it shuts down) and an HTTP server; and the probe
 * command line as the compose health checks write it.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { createAuthenticator, createGrpcServer, createLogger, createTokenSigner, generateSigningKey } from "@gantry/platform";
import { parseProbeCommand, runProbe } from "./probe-command.ts";
import { probeGrpcHealth, probeHttp } from "./probes.ts";

const TIMEOUT_MS = 2_000;

/** A Gantry gRPC server with no service of its own: only health (unless `health` is false). */
async function startGrpcServer(health = true) {
  const server = createGrpcServer({
    logger: createLogger("probe-test", { level: "silent" }),
    authenticator: createAuthenticator(createTokenSigner(generateSigningKey())),
    services: [],
    health,
  });
  return { server, address: `127.0.0.1:${await server.listen("127.0.0.1", 0)}` };
}

describe("grpc probe", () => {
  test("healthy while a Gantry gRPC server serves, not once it shut down or where nothing listens", async () => {
    const { server, address } = await startGrpcServer();
    try {
      assert.deepEqual(await probeGrpcHealth(address, TIMEOUT_MS), { healthy: true, detail: `gRPC health of ${address}: SERVING` });
    } finally {
      await server.shutdown(0);
    }
    const gone = await probeGrpcHealth(address, TIMEOUT_MS);
    assert.equal(gone.healthy, false);
    assert.ok(gone.detail.startsWith(`gRPC health of ${address}: `), gone.detail);
  });

  test("a server without the health service is not healthy", async () => {
    const { server, address } = await startGrpcServer(false);
    try {
      const result = await probeGrpcHealth(address, TIMEOUT_MS);
      assert.equal(result.healthy, false);
      assert.match(result.detail, /UNIMPLEMENTED|unimplemented/i);
    } finally {
      await server.shutdown(0);
    }
  });
});

describe("http probe", () => {
  test("healthy on 2xx, not on an error status or where nothing listens", async () => {
    const server: Server = createServer((request, response) => {
      response.statusCode = request.url === "/ping" ? 200 : 503;
      response.end(request.url === "/ping" ? "pong" : "");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      assert.deepEqual(await probeHttp(`http://127.0.0.1:${port}/ping`, TIMEOUT_MS), { healthy: true, detail: `GET http://127.0.0.1:${port}/ping: HTTP 200` });
      assert.deepEqual(await probeHttp(`http://127.0.0.1:${port}/busy`, TIMEOUT_MS), { healthy: false, detail: `GET http://127.0.0.1:${port}/busy: HTTP 503` });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal((await probeHttp(`http://127.0.0.1:${port}/ping`, TIMEOUT_MS)).healthy, false);
  });
});

describe("probe command", () => {
  test("reads each probe's arguments", () => {
    assert.deepEqual(parseProbeCommand(["grpc", "127.0.0.1:7001"]), { kind: "grpc", address: "127.0.0.1:7001" });
    assert.deepEqual(parseProbeCommand(["http", "http://127.0.0.1:8080/ping"]), { kind: "http", url: "http://127.0.0.1:8080/ping" });
    assert.deepEqual(parseProbeCommand(["nats-client", "http://nats:8222", "gantry/agent/agent-1"]), {
      kind: "nats-client",
      monitorUrl: "http://nats:8222/",
      connectionName: "gantry/agent/agent-1",
    });
  });

  test("names what is wrong", () => {
    assert.throws(() => parseProbeCommand(["tcp", "127.0.0.1:1"]), /unknown health probe "tcp"/);
    assert.throws(() => parseProbeCommand(["grpc"]), /health probe "grpc" takes 1 argument\(s\), got 0/);
    assert.throws(() => parseProbeCommand(["grpc", "localhost"]), /"localhost" is not HOST:PORT/);
    assert.throws(() => parseProbeCommand(["http", "not a url"]), /Invalid URL/);
  });

  test("runs the probe it names", async () => {
    const result = await runProbe({ kind: "http", url: "http://127.0.0.1:1/ping" }, TIMEOUT_MS);
    assert.deepEqual(result.healthy, false);
    assert.match(result.detail, /^GET http:\/\/127.0.0.1:1\/ping: /);
  });
});
