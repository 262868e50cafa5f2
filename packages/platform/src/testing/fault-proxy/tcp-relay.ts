import net, { type Socket } from "node:net";

/** Where a relay listens and where it connects each accepted client to. */
export interface TcpRelayOptions {
  listenHost: string;
  targetHost: string;
  targetPort: number;
}

/**
 * One client connection and its own upstream connection. Bytes move only through `toUpstream`
 * and `toClient` (with backpressure: the sending side is paused while the receiving side's buffer
 * is full). After `hangUp` or `cut` the pair is dead: further bytes in either direction are dropped.
 */
export interface RelayConnection {
  readonly dead: boolean;
  toUpstream(data: Buffer): void;
  toClient(data: Buffer): void;
  /** Ends the client socket after what was already sent to it is flushed, and destroys the upstream socket at once. */
  hangUp(): void;
  /** Destroys both sockets at once. */
  cut(): void;
}

/** What a relay does with the bytes of one connection; each handler sees the chunks of its direction in order. */
export interface RelayHandlers {
  fromClient(chunk: Buffer): void;
  fromUpstream(chunk: Buffer): void;
}

/** A listening relay: its port, the connections open now, and its shutdown. */
export interface TcpRelay {
  readonly port: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  readonly open: ReadonlySet<RelayConnection>;
  /** Connections destroyed by `cutAll` since start (not those `close` destroys). */
  readonly cuts: number;
  /** Cuts every open connection (both sides) and counts them in `cuts`. New connections are still accepted. */
  cutAll(): void;
  /** Connects the clients accepted from now on to `targetHost:targetPort` (open connections keep theirs): a fail-over, as a virtual IP moving. */
  retarget(targetHost: string, targetPort: number): void;
  /** Stops listening and cuts every open connection. Idempotent. */
  close(): Promise<void>;
}

/** A client whose hang-up (`end`) is ignored is destroyed after this long, so no socket outlives its fault. */
const HANG_UP_GRACE_MS = 500;

/**
 * Starts a TCP relay: every accepted client gets its own connection to the target, and `attach`
 * decides what to forward. A side that closes cleanly ends the other (so a final message and FIN
 * reach the peer); a side that fails destroys the other. A target that refuses the connection
 * closes the client. Rejects when the listen address cannot be bound.
 */
export async function startTcpRelay(options: TcpRelayOptions, attach: (conn: RelayConnection) => RelayHandlers): Promise<TcpRelay> {
  const open = new Set<RelayConnection>();
  let accepted = 0;
  let cuts = 0;
  let target = { host: options.targetHost, port: options.targetPort };
  const server = net.createServer((client) => {
    accepted += 1;
    const conn = relayConnection(client, net.connect(target), open, attach);
    open.add(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.listenHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fault proxy: listening socket has no TCP port");
  const cutAll = (): number => {
    const now = [...open];
    for (const conn of now) conn.cut();
    return now.length;
  };
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    open,
    get cuts() {
      return cuts;
    },
    cutAll: () => void (cuts += cutAll()),
    retarget: (host, port) => void (target = { host, port }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        cutAll();
      });
      return closing;
    },
  };
}

/** The connection counters every fault proxy reports: accepted, open now, and cut by `cutAll`. */
export interface RelayConnectionStats {
  connections: number;
  openConnections: number;
  cuts: number;
}

/**
 * A live stats object for a proxy on `relay`: the relay's connection counters plus each of the
 * proxy's own `counters`, all read at access time through enumerable getters (so the object
 * always shows the current counts, and a spread `{ ...stats }` takes a snapshot). `counters`
 * must hold only the proxy's own keys; the relay's win on a clash.
 */
export function liveStats<C extends Record<string, number>>(relay: TcpRelay, counters: C): RelayConnectionStats & Readonly<C> {
  const stats = {};
  const readers: Record<string, () => number> = {};
  for (const key of Object.keys(counters)) readers[key] = () => counters[key]!;
  Object.assign(readers, { connections: () => relay.accepted, openConnections: () => relay.open.size, cuts: () => relay.cuts });
  for (const [key, read] of Object.entries(readers)) Object.defineProperty(stats, key, { get: read, enumerable: true });
  return stats as RelayConnectionStats & Readonly<C>;
}

function relayConnection(
  client: Socket,
  upstream: Socket,
  open: Set<RelayConnection>,
  attach: (conn: RelayConnection) => RelayHandlers,
): RelayConnection {
  let dead = false;
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const conn: RelayConnection = {
    get dead() {
      return dead;
    },
    toUpstream: (data) => {
      if (!dead && data.length > 0) send(client, upstream, data);
    },
    toClient: (data) => {
      if (!dead && data.length > 0) send(upstream, client, data);
    },
    hangUp() {
      if (dead) return;
      dead = true;
      upstream.destroy();
      client.end();
      setTimeout(() => client.destroy(), HANG_UP_GRACE_MS).unref();
    },
    cut() {
      if (dead) return;
      dead = true;
      upstream.destroy();
      client.destroy();
    },
  };
  const handlers = attach(conn);
  client.on("data", (chunk: Buffer) => {
    if (!dead) handlers.fromClient(chunk);
  });
  upstream.on("data", (chunk: Buffer) => {
    if (!dead) handlers.fromUpstream(chunk);
  });
  // Errors are expected here (that is the point of the proxy); `close` reports them as hadError.
  client.on("error", () => {});
  upstream.on("error", () => {});
  const onClose = (other: Socket) => (hadError: boolean) => {
    if (hadError || dead) other.destroy();
    else other.end();
    if (client.destroyed && upstream.destroyed) {
      dead = true;
      open.delete(conn);
    }
  };
  client.on("close", onClose(upstream));
  upstream.on("close", onClose(client));
  return conn;
}

/** Writes to `to`, pausing `from` until `to` drains when its buffer is full. */
function send(from: Socket, to: Socket, data: Buffer): void {
  if (to.write(data) || from.isPaused()) return;
  from.pause();
  to.once("drain", () => from.resume());
}
