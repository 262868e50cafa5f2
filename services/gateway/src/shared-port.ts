import net from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";
import type { Server as HttpServer } from "node:http";

/** The HTTP/2 connection preface every gRPC client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that says nothing for this long before it can be told apart is closed. */
const SNIFF_TIMEOUT_MS = 10_000;

/**
 * One public port for HTTP/1.1 and gRPC: the first bytes of each connection decide. A
 * connection that opens with the HTTP/2 preface is handed to the gateway's gRPC server
 * in-process (no relay: a relay through a loopback socket cost every byte of an exec's output
 * another two socket copies and a wake-up); anything else to the HTTP server. Clients then
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

/** Takes a connection for the gRPC server, its opening bytes put back (grpc-js's connection injector). */
export type GrpcConnectionSink = (connection: Duplex) => void;

/**
 * Listens on `host:port` and dispatches each connection to `http` or to `grpc`. With `tls`,
 * every connection is TLS first (ALPN offers http/1.1 before h2, so an HTTP client that speaks
 * both stays on HTTP/1.1 and a gRPC client gets h2), and the decrypted bytes are dispatched the
 * same way; a plaintext connection then fails its handshake.
 */
export async function listenSharedPort(host: string, port: number, http: HttpServer, grpc: GrpcConnectionSink, tls?: PublicTls): Promise<SharedPort> {
  const sockets = new Set<net.Socket>();
  /** Reads a connection's opening bytes (decrypted, with TLS) and hands it, bytes put back, to the server they call for. */
  const dispatch = (socket: net.Socket) => {
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
      socket.unshift(head);
      if (kind === "h2") grpc(socket);
      else {
        http.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };
  // A TLS server that never listens: it is handed each connection. Its sockets are secure when
  // dispatched (as HTTP/2 expects of a TLS socket), and a failed handshake ends the connection.
  const tlsServer = tls ? createTlsServer({ cert: tls.cert, key: tls.key, ALPNProtocols: ["http/1.1", "h2"], handshakeTimeout: SNIFF_TIMEOUT_MS }, dispatch) : undefined;
  tlsServer?.on("tlsClientError", (_err, socket) => socket.destroy());
  // Nagle off, as Node's HTTP server has it on the sockets it accepts itself (not on those it is
  // handed): a small write held behind an unacknowledged one waits for the peer's delayed ACK,
  // 40 ms. (An HTTP/2 session turns it off on its socket as well.)
  const server = net.createServer({ noDelay: true }, (raw) => {
    sockets.add(raw);
    raw.once("close", () => sockets.delete(raw));
    if (!tlsServer) return dispatch(raw);
    raw.on("error", () => raw.destroy());
    tlsServer.emit("connection", raw);
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
