import net from "node:net";
import type { Server as HttpServer } from "node:http";

/** The HTTP/2 connection preface every gRPC client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

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

/** Listens on `host:port` and dispatches each connection to `http` or to the gRPC server at `grpcPort`. */
export async function listenSharedPort(host: string, port: number, http: HttpServer, grpcPort: number): Promise<SharedPort> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("readable", () => dispatch(socket));
  });
  const dispatch = (socket: net.Socket) => {
    const head: Buffer | null = socket.read();
    if (head === null) {
      socket.once("readable", () => dispatch(socket));
      return;
    }
    // A partial prefix is compared as far as it goes; HTTP/1.1 methods never start with "PRI ".
    const n = Math.min(head.length, H2_PREFACE.length);
    if (head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
      const upstream = net.connect(grpcPort, "127.0.0.1");
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
      const teardown = () => {
        socket.destroy();
        upstream.destroy();
      };
      upstream.on("error", teardown);
      socket.on("error", teardown);
    } else {
      socket.unshift(head);
      http.emit("connection", socket);
    }
  };
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
