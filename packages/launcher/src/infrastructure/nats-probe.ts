import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { natsTls, type TlsMaterial } from "@gantry/platform";

/** What a NATS server said about itself and its JetStream. */
export interface NatsProbe {
  /** The server's version (`2.9.10`). */
  version: string;
  /** Streams in the account; JetStream answered. */
  streams: number;
}

/**
 * Connects to `url` once (no retries, 2 s to connect) and asks JetStream for the account's
 * state. Rejects with the client's error when the server is unreachable and with "JetStream
 * not enabled…" (the server's 503) when it runs without `-js`.
 */
export async function probeNats(url: string, tls?: TlsMaterial): Promise<NatsProbe> {
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false, ...natsTls(tls) });
  try {
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    return { version: nc.info?.version ?? "unknown", streams: info.streams };
  } finally {
    await nc.close();
  }
}
