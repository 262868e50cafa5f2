import { liveStats, startTcpRelay } from "./tcp-relay.ts";
import { NatsClientReader } from "./nats-client-reader.ts";

/** Where a NATS fault proxy forwards to and where it listens (default `127.0.0.1`, on a free port). */
export interface NatsFaultProxyOptions {
  targetHost: string;
  targetPort: number;
  listenHost?: string;
}

/** Which publish `swallowPublish` loses: the `nth` (1-based) PUB/HPUB whose subject starts with `subjectPrefix`, counted from arming. */
export interface SwallowPublishOptions {
  subjectPrefix: string;
  nth: number;
}

/** Live counters of a NATS fault proxy (read them any time; they only grow, except `openConnections`). */
export interface NatsFaultProxyStats {
  /** Client connections accepted (a reconnect is a new one). */
  connections: number;
  /** Client connections open now. */
  openConnections: number;
  /** PUB/HPUB operations seen from any client. */
  publishesSeen: number;
  /** Publishes not forwarded by `swallowPublish`. */
  publishesSwallowed: number;
  /** Connections destroyed by `cutAll`. */
  cuts: number;
}

/**
 * A TCP proxy between NATS clients and a real (single, non-clustered, non-TLS) server that reads
 * the client's protocol operations and can lose one publish without touching the connection, to
 * test what a component does when a JetStream publish gets no ack. Server-to-client bytes pass
 * untouched, so the server's INFO (and its view of the client) are the real ones.
 */
export interface NatsFaultProxy {
  readonly port: number;
  /** `nats://<listenHost>:<port>`, for `connect({ servers })`. */
  readonly url: string;
  /**
   * Arms a one-shot fault: of the publishes from any client whose subject starts with
   * `subjectPrefix`, counted from now, the `nth` is dropped (control line and payload) and every
   * other byte passes, so the connection stays up and later publishes arrive. A JetStream publish
   * so lost is never stored and its ack never comes (the client's request times out). Replaces a
   * fault armed before and not fired yet. Throws a RangeError when `nth` is not a positive integer.
   */
  swallowPublish(options: SwallowPublishOptions): void;
  /** Destroys every open connection, both sides; clients that reconnect get new ones. */
  cutAll(): void;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
  readonly stats: Readonly<NatsFaultProxyStats>;
}

/** Starts a NATS fault proxy listening on a free port of `listenHost`. Rejects when it cannot listen. */
export async function startNatsFaultProxy(options: NatsFaultProxyOptions): Promise<NatsFaultProxy> {
  const listenHost = options.listenHost ?? "127.0.0.1";
  let swallow: { prefix: string; nth: number; counted: number } | undefined;
  const counters = { publishesSeen: 0, publishesSwallowed: 0 };
  const forwards = (subject: string): boolean => {
    counters.publishesSeen += 1;
    if (swallow === undefined || !subject.startsWith(swallow.prefix)) return true;
    swallow.counted += 1;
    if (swallow.counted < swallow.nth) return true;
    swallow = undefined;
    counters.publishesSwallowed += 1;
    return false;
  };
  const relay = await startTcpRelay({ listenHost, targetHost: options.targetHost, targetPort: options.targetPort }, (conn) => {
    const reader = new NatsClientReader();
    return {
      fromClient(chunk) {
        reader.push(chunk);
        const out: Buffer[] = [];
        for (let op = reader.next(); op !== undefined; op = reader.next()) {
          if (op.kind === "other" || forwards(op.subject)) out.push(op.bytes);
        }
        conn.toUpstream(Buffer.concat(out));
      },
      fromUpstream: (chunk) => conn.toClient(chunk),
    };
  });
  const stats: NatsFaultProxyStats = liveStats(relay, counters);
  return {
    port: relay.port,
    url: `nats://${listenHost.includes(":") ? `[${listenHost}]` : listenHost}:${relay.port}`,
    swallowPublish({ subjectPrefix, nth }) {
      if (!Number.isSafeInteger(nth) || nth < 1) throw new RangeError(`swallowPublish: nth must be a positive integer, not ${nth}`);
      swallow = { prefix: subjectPrefix, nth, counted: 0 };
    },
    cutAll: () => relay.cutAll(),
    close: () => relay.close(),
    stats,
  };
}
