import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsTls, type TlsMaterial } from "../tls/tls-material.ts";

/**
 * The servers a NATS URL names: one URL, or several separated by commas (`NATS_URL=nats://a:4222,nats://b:4222`),
 * the seeds of a NATS cluster. The client learns the cluster's other servers from whichever it
 * reaches. Blanks around commas are ignored.
 */
export function natsServers(natsUrl: string): string[] {
  return natsUrl
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Connects one component to NATS at `natsUrl` (one server or a comma-separated list, see
 * natsServers), named `name` in the server's connection list. A lost connection is re-made
 * forever, to any server of the cluster: a component outlives a NATS server's restart or loss.
 * With `tls`, the connection is mutual TLS with the cluster CA (a NATS that requires it refuses
 * plaintext clients). Rejects with the client's error when no listed server answers at first.
 */
export function connectNats(natsUrl: string, name: string, tls?: TlsMaterial): Promise<NatsConnection> {
  return connect({ servers: natsServers(natsUrl), name, maxReconnectAttempts: -1, ...natsTls(tls) });
}
