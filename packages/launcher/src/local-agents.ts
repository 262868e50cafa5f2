import { fileURLToPath } from "node:url";
import { schedulerV1 } from "@gantry/proto";
import { AGENT_NODE_FLAGS } from "@gantry/agent";
import { channelCredentials, createGrpcClient } from "@gantry/platform";
import { tlsEnvironment, type ClusterTls } from "./cluster-tls.ts";
import type { DataDirLayout } from "./data-dir.ts";
import type { LogSink } from "./log-sink.ts";
import { spawnManaged, untilReady, type ManagedProcess } from "./processes/managed-process.ts";

/** What every local agent offers and how it isolates tasks (the `--agent-*` and `--isolation` flags of `gantry up`). */
export interface LocalAgentSettings {
  cpus?: string;
  mem?: string;
  /** Added to each agent's own `agent:<i>`. */
  attributes?: string;
  isolation?: string;
}

/** N agent processes on this machine, one cluster. */
export interface LocalAgentsOptions {
  count: number;
  cluster: string;
  natsUrl: string;
  layout: Pick<DataDirLayout, "agentWorkDir" | "secretsKey" | "execTicketKey">;
  settings: LocalAgentSettings;
  sink: LogSink;
  env: NodeJS.ProcessEnv;
  /** With `--tls`: each agent's certificate files (mutual TLS with NATS). */
  tls?: ClusterTls;
}

/** Running local agents. */
export interface LocalAgents {
  ids: string[];
  processes: ManagedProcess[];
  /** Waits until the scheduler behind `grpcTarget` lists every one of them as active (`ca`: the gateway serves TLS with a certificate of that CA). */
  registered(grpcTarget: string, token: string, ca?: string): Promise<void>;
  /** Stops them; each kills its tasks first. */
  stop(): Promise<void>;
}

/** The host ports every task port comes from; split between the local agents so that two never hand out the same one. */
const HOST_PORTS = { first: 31000, last: 32000 };
const REGISTER_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;

/** The id of local agent `i` (1-based): `agent-1`, `agent-2`, … (stable, so a restarted cluster knows them again). */
export function localAgentId(i: number): string {
  return `agent-${i}`;
}

/** The host port range of local agent `i` of `count`: an equal share of 31000-32000. */
export function localAgentPorts(i: number, count: number): string {
  const share = Math.floor((HOST_PORTS.last - HOST_PORTS.first + 1) / count);
  const first = HOST_PORTS.first + (i - 1) * share;
  return `${first}-${first + share - 1}`;
}

/**
 * The command line of local agent `i`: `node <the agent's Node flags> services/agent/src/main.ts` with its id, work dir
 * `<data-dir>/agents/<i>`, attribute `agent:<i>`, its share of the host ports, the cluster's NATS,
 * and `--kill-tasks-on-exit` (stopping the cluster stops its tasks, as Ctrl-C on `gantry up` says).
 */
export function localAgentCommand(i: number, options: Omit<LocalAgentsOptions, "sink" | "env">): string[] {
  const { settings } = options;
  const attributes = [settings.attributes, `agent:${i}`].filter((a) => a !== undefined && a !== "").join(";");
  return [
    process.execPath,
    ...AGENT_NODE_FLAGS,
    fileURLToPath(new URL("./main.ts", import.meta.resolve("@gantry/agent"))),
    "--agent-id", localAgentId(i),
    "--work-dir", options.layout.agentWorkDir(i),
    "--attributes", attributes,
    "--ports", localAgentPorts(i, options.count),
    "--nats-url", options.natsUrl,
    "--cluster", options.cluster,
    ...(settings.cpus ? ["--cpus", settings.cpus] : []),
    ...(settings.mem ? ["--mem", settings.mem] : []),
    ...(settings.isolation ? ["--isolation", settings.isolation] : []),
    "--kill-tasks-on-exit",
  ];
}

/** Starts `count` agent processes, their logs going to the sink. Resolves once they are spawned (see `registered`). */
export async function startLocalAgents(options: LocalAgentsOptions): Promise<LocalAgents> {
  const ids = Array.from({ length: options.count }, (_, n) => localAgentId(n + 1));
  // Every agent opens sealed secrets with the cluster's secrets key (made by the control plane's start).
  const withKey = options.env.GANTRY_SECRETS_KEY_FILE || options.env.GANTRY_SECRETS_KEY ? options.env : { ...options.env, GANTRY_SECRETS_KEY_FILE: options.layout.secretsKey };
  // …and checks exec tickets with the public key of the pair the control plane's start made; its endpoint on loopback, like the rest.
  const withExec = { GANTRY_AGENT_EXEC_KEY_FILE: `${options.layout.execTicketKey}.pub`, GANTRY_AGENT_GRPC_LISTEN: "127.0.0.1:0", ...withKey };
  const envs = await Promise.all(ids.map(async (id) => (options.tls ? { ...withExec, ...tlsEnvironment(await options.tls.files(id)) } : withExec)));
  const processes = ids.map((id, n) => spawnManaged(id, localAgentCommand(n + 1, options), { lines: (text) => options.sink.line(id, text) }, { env: envs[n]! }));
  return {
    ids,
    processes,
    async registered(grpcTarget, token, ca) {
      const scheduler = createGrpcClient(schedulerV1.SchedulerService, grpcTarget, { token, deadlineMs: 5_000, credentials: channelCredentials(ca ? { ca } : undefined) });
      try {
        await untilReady(
          `agents ${ids.join(", ")} registering with the scheduler`,
          async () => {
            const { agents } = await scheduler.listAgents({});
            const active = new Set(agents.filter((a) => a.active).map((a) => a.agentId));
            return ids.every((id) => active.has(id)) || undefined;
          },
          { timeoutMs: REGISTER_TIMEOUT_MS, watched: processes },
        );
      } finally {
        scheduler.close();
      }
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop("SIGTERM", STOP_GRACE_MS)));
    },
  };
}
