import { mkdir, readFile } from "node:fs/promises";
import { createLogger, GantryError } from "@gantry/platform";
import { ensureClusterTls } from "./cluster-tls.ts";
import { removeClusterFile, writeClusterFile } from "./cluster-file.ts";
import { clusterFilePath, dataDirLayout } from "./data-dir.ts";
import { planInfrastructure, provideInfrastructure } from "./infrastructure/infrastructure.ts";
import { createLogSink, type LogFormat } from "./log-sink.ts";
import { startLocalAgents, type LocalAgentSettings } from "./local-agents.ts";
import { claimPidFile } from "./processes/pid-file.ts";
import { createProgress } from "./progress.ts";
import { startSingleNodeCluster } from "./single-node-cluster.ts";

/** What `gantry up` runs (compiled from its flags by the CLI). */
export interface LaunchOptions {
  cluster: string;
  /** Interface and port of the gateway (0: a free one). */
  host: string;
  port: number;
  /** Where the CLI looks for `<cluster>/cluster.json`. */
  gantryHome: string;
  /** Everything the cluster keeps on this machine (see DataDirLayout). */
  dataDir: string;
  /** Agent processes to run (0: a control plane alone). */
  agents: number;
  agentSettings: LocalAgentSettings;
  logFormat: LogFormat;
  /**
   * Mutual TLS between every part (a cluster CA in the data dir, a certificate per part; NATS
   * refuses plaintext clients) and HTTPS at the gateway. Needs the launcher's own NATS.
   */
  tls?: boolean;
  /** DATABASE_URL and NATS_URL are used when set; GANTRY_LOG_LEVEL sets the level (default info). */
  env: NodeJS.ProcessEnv;
  /** Progress lines (stdout). */
  out: NodeJS.WritableStream;
  /** Log lines (stderr). */
  logs: NodeJS.WritableStream;
}

/** A cluster the launcher runs. */
export interface LaunchedCluster {
  url: string;
  token: string;
  cluster: string;
  dataDir: string;
  agentIds: string[];
  /** Stops agents (and their tasks), the control plane, then the servers the launcher started. */
  stop(): Promise<void>;
}

/**
 * Runs a whole cluster on this machine, one progress line per step: its PostgreSQL and NATS
 * (the given ones, else its own in the data dir), the control plane in this process, and
 * `agents` agent processes; resolves once every agent is registered, then writes the cluster
 * file the CLI reads. A second launcher on the same data dir is refused. Anything that fails
 * stops what had started and rethrows (missing software: FailedPrecondition saying what to install).
 */
export async function launchCluster(options: LaunchOptions): Promise<LaunchedCluster> {
  const layout = dataDirLayout(options.dataDir);
  const progress = createProgress(options.out);
  await mkdir(layout.root, { recursive: true });
  const plan = await planInfrastructure(options.env);
  if (options.tls && "url" in plan.nats) {
    throw new GantryError("FailedPrecondition", "--tls needs the NATS gantry up runs itself (it is started requiring client certificates of the cluster CA): unset NATS_URL, or give each process GANTRY_TLS_*_FILE material your NATS trusts");
  }
  const stops: (() => Promise<void>)[] = [await claimPidFile(layout.pidFile, `stop it with \`gantry down --cluster ${options.cluster}\``)];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const tls = options.tls ? await progress.step(`cluster CA and certificates in ${layout.tls}`, () => ensureClusterTls(layout.tls, options.cluster, tlsHosts(options.host))) : undefined;
    const infrastructure = await provideInfrastructure({ plan, cluster: options.cluster, layout, env: options.env, progress, ...(tls ? { tls } : {}) });
    stops.push(infrastructure.stop);
    const { database, nats } = infrastructure.record;

    const sink = createLogSink(options.logFormat, options.logs);
    const logger = createLogger("gantry", { level: options.env.GANTRY_LOG_LEVEL ?? "info", destination: sink.stream });
    const cluster = await progress.step(
      "starting the control plane (registry, scheduler, gateway)",
      async () => startSingleNodeCluster({ databaseUrl: database.url, natsUrl: nats.url, cluster: options.cluster, host: options.host, port: options.port, gantryHome: options.gantryHome, dataDir: layout.root, agent: false, logger, clusterFile: false, ...(tls ? { tls: await tls.material("control-plane") } : {}) }),
      (c) => c.url,
    );
    stops.push(cluster.stop);

    const agents = await startLocalAgents({ count: options.agents, cluster: options.cluster, natsUrl: nats.url, layout, settings: options.agentSettings, sink, env: options.env, ...(tls ? { tls } : {}) });
    const ca = tls ? await readFile(tls.caFile, "utf8") : undefined;
    stops.push(agents.stop);
    if (options.agents > 0) {
      await progress.step(`starting ${options.agents} agent${options.agents === 1 ? "" : "s"} (${agents.ids.join(", ")})`, () => agents.registered(new URL(cluster.url).host, cluster.token, ca));
    }

    const clusterFile = clusterFilePath(options.gantryHome, options.cluster);
    await writeClusterFile(clusterFile, { url: cluster.url, token: cluster.token, dataDir: layout.root, pid: process.pid, ...(tls ? { ca: tls.caFile } : {}) });
    stops.push(() => removeClusterFile(clusterFile));
    return { url: cluster.url, token: cluster.token, cluster: options.cluster, dataDir: layout.root, agentIds: agents.ids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The names every certificate is good for: loopback, and the gateway's interface when it listens elsewhere. */
function tlsHosts(host: string): string[] {
  const hosts = ["localhost", "127.0.0.1"];
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "0.0.0.0" && host !== "::") hosts.push(host);
  return hosts;
}
