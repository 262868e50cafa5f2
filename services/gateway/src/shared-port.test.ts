import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import https from "node:https";
import { within } from "@gantry/test/support";
import type { ClientHttp2Session } from "node:http2";
import { classifyOpening, listenSharedPort } from "./shared-port.ts";

/** The body of `GET /` on an HTTP/2 session, within 5 s. */
const h2Root = (session: ClientHttp2Session, what: string) =>
  within(what, new Promise<string>((resolve, reject) => {
    const req = session.request({ ":path": "/" });
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => resolve(text));
    req.on("error", reject);
  }), 5_000);

test("a connection is told apart only once its opening bytes decide", () => {
  assert.equal(classifyOpening(Buffer.from("P")), "undecided", "POST and PUT start with P too");
  assert.equal(classifyOpening(Buffer.from("POST / HTTP/1.1\r\n")), "http");
  assert.equal(classifyOpening(Buffer.from("GET /ping")), "http");
  assert.equal(classifyOpening(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")), "h2");
});

test("HTTP split after its first byte still reaches the HTTP server, and a reset before any byte harms nothing", async () => {
  const server = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));
  const shared = await listenSharedPort("127.0.0.1", 0, server, (s) => s.destroy());
  const sockets: net.Socket[] = [];
  try {
    const reset = net.connect(shared.port, "127.0.0.1");
    sockets.push(reset);
    await within("a connection to the shared port", new Promise<void>((r, reject) => reset.once("connect", () => r()).once("error", reject)), 5_000);
    reset.resetAndDestroy();
    // The end of the answer is awaited: a connection left undecided would never end.
    const reply = await within("the whole HTTP answer to a request split after its first byte", new Promise<string>((resolve, reject) => {
      const c = net.connect(shared.port, "127.0.0.1", () => {
        c.write("P");
        setTimeout(() => c.write("OST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), 50);
      });
      sockets.push(c);
      let text = "";
      c.on("data", (d) => (text += d));
      c.on("end", () => resolve(text));
      c.on("error", reject);
    }), 5_000);
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.match(reply, /POST \/split$/);
  } finally {
    for (const s of sockets) s.destroy();
    await shared.close();
  }
});

test("an HTTP/2 connection is handed to the gRPC server as it is (the client's own socket, not a relay), opening bytes included", async () => {
  const http2 = await import("node:http2");
  const server = http.createServer((_req, res) => res.end("http"));
  const grpc = http2.createServer((_req, res) => res.end("h2 in-process"));
  const handed: net.Socket[] = [];
  const shared = await listenSharedPort("127.0.0.1", 0, server, (s) => {
    handed.push(s as net.Socket);
    grpc.emit("connection", s);
  });
  const session = http2.connect(`http://127.0.0.1:${shared.port}`);
  try {
    const answer = await h2Root(session, "an HTTP/2 answer");
    assert.equal(answer, "h2 in-process");
    assert.equal(handed.length, 1);
    assert.equal(handed[0]!.remotePort, session.socket.localPort, "the gRPC server reads the client's connection itself");
  } finally {
    session.close();
    await shared.close();
    grpc.close();
  }
});

test("with a certificate: HTTPS and HTTP/2 over TLS reach their servers (http/1.1 preferred in ALPN); a plaintext request gets no answer", async () => {
  const { createClusterCa, issueCertificate } = await import("@gantry/platform");
  const http2 = await import("node:http2");
  const ca = createClusterCa("shared-port-test");
  const leaf = issueCertificate(ca, "gateway", ["127.0.0.1"]);
  const server = http.createServer((req, res) => res.end(`http ${req.url}`));
  const grpc = http2.createServer((_req, res) => res.end("h2 upstream"));
  const shared = await listenSharedPort("127.0.0.1", 0, server, (s) => grpc.emit("connection", s), { cert: leaf.certPem, key: leaf.keyPem });
  try {
    const viaHttps = await within("an HTTPS answer", new Promise<string>((resolve, reject) => {
      const offersBoth = { ca: ca.certPem, ALPNProtocols: ["h2", "http/1.1"] } as https.RequestOptions;
      https.get(`https://127.0.0.1:${shared.port}/ping`, offersBoth, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(text));
      }).on("error", reject);
    }), 5_000);
    assert.equal(viaHttps, "http /ping", "a client offering h2 and http/1.1 stays on HTTP/1.1");
    const session = http2.connect(`https://127.0.0.1:${shared.port}`, { ca: ca.certPem });
    const viaH2 = await h2Root(session, "an HTTP/2 answer through TLS").finally(() => session.close());
    assert.equal(viaH2, "h2 upstream");
    const plain = await within("a plaintext request to end", new Promise<string>((resolve) => {
      const c = net.connect(shared.port, "127.0.0.1", () => c.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
      let text = "";
      c.on("data", (d) => (text += d));
      c.on("close", () => resolve(text));
      c.on("error", () => resolve(text));
    }), 5_000);
    assert.ok(!plain.includes("http /ping"), "no plaintext answer");
  } finally {
    await shared.close();
    grpc.close();
  }
});
