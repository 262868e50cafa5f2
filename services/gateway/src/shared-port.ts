import net from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import type { Server as HttpServer } from "node:http";

/** The HTTP/2 connection preface every gRPC client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that says nothing for this long before it can be told apart is closed. */
const SNIFF_TIMEOUT_MS = 10_000;

/**
 * One public port for HTTP/1.1 and gRPC: the first bytes of each connection decide. A
 * connection that opens with the HTTP/2 preface is piped to the gateway's internal gRPC
 * server (on loopback); anything else is handed to the HTTP server in-process. Clients then
 * need one address only.
 */
export interface SharedPort {
  /** The bound port. */
  port: number;
  close(): Promise<void>;
}

/** How far the bytes seen so far go towards the preface: "h2" (all of it), "http" (they differ), or "undecided" (a prefix of it). */
export function classifyOpening(head: Buffer): "h2" | "http" | "undecided" {
  const n = Math.min(head.length, H2_PREFACE.length);
  if (!head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return "http";
  return n === H2_PREFACE.length ? "h2" : "undecided";
}

/** A certificate (chain) and key to serve HTTPS (and gRPC over TLS) with, PEM. */
export interface PublicTls {
  cert: string;
  key: string;
}

/**
 * Listens on `host:port` and dispatches each connection to `http` or to the gRPC server at
 * `grpcPort`. With `tls`, every connection is TLS first (ALPN offers http/1.1 before h2, so an
 * HTTP client that speaks both stays on HTTP/1.1 and a gRPC client gets h2), and the decrypted
 * bytes are dispatched the same way; a plaintext connection then fails its handshake.
 */
export async function listenSharedPort(host: string, port: number, http: HttpServer, grpcPort: number, tls?: PublicTls): Promise<SharedPort> {
  const sockets = new Set<net.Socket>();
  const secureContext = tls ? createSecureContext({ cert: tls.cert, key: tls.key }) : undefined;
  const server = net.createServer((raw) => {
    const socket = secureContext ? new TLSSocket(raw, { isServer: true, secureContext, ALPNProtocols: ["http/1.1", "h2"] }) : raw;
    if (socket !== raw) raw.on("error", () => raw.destroy());
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Until a server owns the socket, a reset or a silent client is ours to end.
    const drop = () => socket.destroy();
    socket.on("error", drop);
    socket.setTimeout(SNIFF_TIMEOUT_MS, drop);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const kind = classifyOpening(head);
      if (kind === "undecided") return;
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      socket.off("error", drop);
      if (kind === "h2") pipeToGrpc(socket, head, grpcPort);
      else {
        socket.unshift(head);
        http.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function pipeToGrpc(socket: net.Socket, head: Buffer, grpcPort: number): void {
  const upstream = net.connect(grpcPort, "127.0.0.1");
  const teardown = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on("error", teardown);
  socket.on("error", teardown);
  upstream.write(head);
  socket.pipe(upstream).pipe(socket);
  socket.resume();
}
