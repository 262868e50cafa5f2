import { mkdir } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { eventsV1Auth } from "@gantry/proto";
import {
  EventStore,
  clusterNames,
  connectBus,
  createAuthenticator,
  createLogger,
  createTokenSigner,
  eventOf,
  loadOrCreateSigningKey,
  secretsKeyFromEnv,
  openClusterDatabase,
  signingKeyFromEnv,
  startTelemetry,
  type Logger,
  type TlsMaterial,
} from "@gantry/platform";
import { startRegistry } from "@gantry/registry";
import { startScheduler } from "@gantry/scheduler";
import { startMetrics } from "@gantry/metrics";
import { compileLogsSettings, startLogs } from "@gantry/logs";
import { loadOrCreateExecTicketKeys, startGateway } from "@gantry/gateway";
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { startAgent, compileAgentOptions, type RawAgentOptions } from "@gantry/agent";
import { clusterFilePath, dataDirLayout, defaultDataDir } from "./data-dir.ts";
import { removeClusterFile, writeClusterFile, type ClusterFile } from "./cluster-file.ts";

/** How to run a single-node cluster: where PostgreSQL and NATS are, its name, and where to listen. */
export interface SingleNodeClusterOptions {
  databaseUrl: string;
  natsUrl: string;
  cluster: string;
  /** Interface the gateway listens on (default loopback). */
  host: string;
  /** Gateway port; 0 picks a free one. */
  port: number;
  /** Where the CLI looks for `<cluster>/cluster.json`; also the agent's default work dir (`<gantryHome>/agent/<id>`). */
  gantryHome: string;
  /** The cluster's state (its signing key `auth.key`); default `<gantryHome>/<cluster>`. */
  dataDir?: string;
  /** Options of the one agent; `false` runs the control plane alone (nothing is ever launched). */
  agent?: RawAgentOptions | false;
  logger?: Logger;
  /** Mutual TLS between the parts (and HTTPS at the gateway): the control plane's certificate of the cluster CA. */
  tls?: TlsMaterial;
  /**
   * Write `<gantryHome>/<cluster>/cluster.json` for the CLI (url and token, plus what is given
   * here; default `{}`), removed again on stop; `false` writes none.
   */
  clusterFile?: Omit<ClusterFile, "url" | "token"> | false;
}

/** A running single-node cluster. */
export interface SingleNodeCluster {
  /** The gateway: the one address clients need (HTTP and gRPC). */
  url: string;
  /** An admin bearer token. */
  token: string;
  cluster: string;
  /** The agent's id; undefined when the cluster runs without one. */
  agentId: string | undefined;
  /** Stops every service; the agent kills its tasks first. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane (registry with the relay, scheduler, gateway) and one agent in this
 * process, against the given PostgreSQL and NATS. The cluster's signing key lives in
 * `<dataDir>/auth.key` (or `GANTRY_AUTH_KEY`), so tokens stay valid across restarts.
 * Issues an admin token and records its issue (never the secret) in the event log.
 */
export async function startSingleNodeCluster(options: SingleNodeClusterOptions): Promise<SingleNodeCluster> {
  const names = clusterNames(options.cluster);
  const root = options.logger ?? createLogger("gantry");
  // Trace context flows across gRPC, NATS and event metadata from here on (exported only when OTEL_* says where).
  const telemetry = await startTelemetry("gantry");
  const layout = dataDirLayout(options.dataDir ?? defaultDataDir(options.gantryHome, options.cluster));
  await mkdir(layout.root, { recursive: true });
  const key = signingKeyFromEnv() ?? (await loadOrCreateSigningKey(layout.authKey));
  const secretsKey = secretsKeyFromEnv() ?? (await loadOrCreateSigningKey(layout.secretsKey, "secrets key"));
  const signer = createTokenSigner(key);
  // Exec tickets: the gateway signs with the private key, agents verify with `exec-ticket.key.pub`.
  const execKeys = await loadOrCreateExecTicketKeys(layout.execTicketKey);
  const authenticator = createAuthenticator(signer);
  const issued = signer.issue({ name: "admin", roles: ["admin"] });
  await recordTokenIssued(options.databaseUrl, options.cluster, "admin", issued.tokenId, ["admin"]);

  const stops: (() => Promise<void>)[] = [() => telemetry.shutdown()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => root.error({ err }, "stop failed"));
    stops.length = 0;
  };
  try {
    const common = { databaseUrl: options.databaseUrl, natsUrl: options.natsUrl, names, host: "127.0.0.1", port: 0, authenticator, signer, ...(options.tls ? { tls: options.tls } : {}) };
    const registry = await startRegistry({ ...common, secretsKey, logger: root.child({ component: "registry" }) });
    stops.push(() => registry.stop());
    const scheduler = await startScheduler({ ...common, logger: root.child({ component: "scheduler" }) });
    stops.push(() => scheduler.stop());
    const metrics = await startMetrics({ ...common, dataDir: join(layout.root, "metrics"), logger: root.child({ component: "metrics" }) });
    stops.push(() => metrics.stop());
    // Logs: its own database beside the cluster's (`<database>_logs`, or LOGS_DATABASE_URL); retention from GANTRY_LOGS_RETENTION.
    const logs = await startLogs({ ...common, settings: compileLogsSettings([], options.databaseUrl).settings, logger: root.child({ component: "logs" }) });
    stops.push(() => logs.stop());
    const gateway = await startGateway({
      host: options.host,
      port: options.port,
      backends: { registry: `127.0.0.1:${registry.port}`, scheduler: `127.0.0.1:${scheduler.port}`, metrics: `127.0.0.1:${metrics.port}`, logs: `127.0.0.1:${logs.port}` },
      authenticator,
      logger: root.child({ component: "gateway" }),
      names,
      natsUrl: options.natsUrl,
      ...(options.tls ? { tls: options.tls } : {}),
      exec: { ticketKey: execKeys.privateKey, signer, databaseUrl: options.databaseUrl },
    });
    stops.push(() => gateway.stop());
    let agentId: string | undefined;
    if (options.agent !== false) {
      // The agent's exec endpoint on loopback, like the rest of a single-node cluster (and in its TLS certificates).
      const agentOptions = compileAgentOptions({ gantryHome: options.gantryHome, grpcListen: "127.0.0.1:0", ...options.agent });
      const bus = await connectBus(options.natsUrl, names, "agent", options.tls);
      stops.push(() => bus.close());
      const agent = await startAgent(agentOptions, { bus, logger: root.child({ component: "agent" }), secretsKey, execTicketKey: createPublicKey(execKeys.privateKey), ...(options.tls ? { tls: options.tls } : {}) });
      stops.push(() => agent.stop({ killTasks: true }));
      agentId = agentOptions.agentId;
    }

    if (options.clusterFile !== false) {
      const file = clusterFilePath(options.gantryHome, options.cluster);
      await writeClusterFile(file, { url: gateway.url, token: issued.token, ...options.clusterFile });
      stops.unshift(() => removeClusterFile(file));
    }
    return { url: gateway.url, token: issued.token, cluster: options.cluster, agentId, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function recordTokenIssued(databaseUrl: string, cluster: string, principal: string, tokenId: string, roles: string[]): Promise<void> {
  const database = await openClusterDatabase(databaseUrl, cluster, { max: 1, applicationName: "gantry-up" });
  try {
    const store = new EventStore({ pool: database.pool });
    const event = create(eventsV1Auth.TokenIssuedSchema, { principal, tokenId, roles });
    await store.appendOrThrow(`principal-${principal}`, "any", [eventOf(eventsV1Auth.TokenIssuedSchema, event, { principal: "system:bootstrap" })]);
    await store.close();
  } finally {
    await database.close();
  }
}
