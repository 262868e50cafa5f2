import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { eventually } from "@gantry/platform/testing";
import { freePort, startProcess, type ServiceProcess } from "./service-process.ts";

/** The NATS server binary (Debian's nats-server 2.9). */
const NATS_SERVER = process.env.GANTRY_TEST_NATS_SERVER ?? "/usr/sbin/nats-server";

/** One server of a NATS cluster: its name and client URL, kill -9 and start again. */
export interface NatsNode {
  readonly name: string;
  readonly url: string;
  readonly running: boolean;
  /** kill -9: the server dies at once, whatever it was doing. */
  crash(): Promise<void>;
  /** Starts it again after a crash, with its JetStream store as it was left; resolves once JetStream answers on it. */
  start(): Promise<void>;
  /** What it said last (all its runs), for a failing test's message. */
  output(): string;
}

/**
 * A NATS cluster with JetStream on loopback, one `nats-server` process per node, routes between
 * them (the production layout of infra/replicated/README.md); streams may have up to
 * `nodes.length` replicas.
 */
export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL, comma-separated: the NATS_URL of a service. */
  readonly url: string;
  /** What every node said last, for a failing test's message. */
  output(): string;
  /** Stops every node (SIGTERM, then kill -9) and removes their JetStream stores. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a `size`-node cluster (default 3) on free loopback ports, each node with its own store
 * under a new temp dir, and waits (30 s deadlines) until JetStream answers on every node and the
 * cluster can place a stream on all of them. Stops what it started when that fails.
 */
export async function startNatsCluster(options: { size?: number } = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const dir = await mkdtemp(path.join(tmpdir(), "gantry-nats-"));
  // Distinct ports: two free-port probes in a row may be handed the same one.
  const taken = new Set<number>();
  const distinctPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return taken.add(port), port;
    }
  };
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await distinctPort(), route: await distinctPort() });
  const nodes: (NatsNode & { stop(): Promise<void> })[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, port] of ports.entries()) {
      const name = `n${i + 1}`;
      const config = path.join(dir, `${name}.conf`);
      const routes = ports.filter((p) => p !== port).map((p) => `nats-route://127.0.0.1:${p.route}`);
      await writeFile(config, nodeConfig(name, port.client, port.route, routes, path.join(dir, name)));
      nodes.push(natsNode(name, `nats://127.0.0.1:${port.client}`, config));
    }
    await Promise.all(nodes.map((n) => n.start()));
    // Routes and the JetStream meta leader can take a while on a loaded machine.
    await eventually(() => `the cluster to place a stream on every node\n${nodes.map((n) => n.output()).join("\n")}`, () => probeStream(nodes[0]!.url, size), 60_000, 200);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    output: () => nodes.map((n) => n.output()).join("\n"),
    stop,
  };
}

function natsNode(name: string, url: string, config: string): NatsNode & { stop(): Promise<void> } {
  const runs: ServiceProcess[] = [];
  const current = () => runs.at(-1);
  const running = () => {
    const child = current()?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  return {
    name,
    url,
    get running() {
      return running();
    },
    crash: async () => current()?.crash(),
    async start() {
      if (running()) return;
      const run = startProcess(`nats-${name}`, NATS_SERVER, ["-c", config]);
      runs.push(run);
      await eventually(() => `JetStream on ${name} (${url}) to answer\n${run.output()}`, () => jetStreamAnswers(url), 30_000, 200);
    },
    output: () => runs.map((r) => r.output()).join("\n"),
    stop: async () => current()?.stop(5_000),
  };
}

async function jetStreamAnswers(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 1_000 });
  try {
    return (await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo()) !== undefined;
  } finally {
    await nc.close();
  }
}

/** Creates and deletes a stream with one replica per node: the cluster has its leader and every peer. */
async function probeStream(url: string, replicas: number): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 1_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    // A probe whose answer was lost last time may exist already.
    await jsm.streams.delete("CLUSTER_PROBE").catch(() => false);
    await jsm.streams.add({ name: "CLUSTER_PROBE", subjects: ["cluster-probe"], num_replicas: replicas });
    return await jsm.streams.delete("CLUSTER_PROBE");
  } finally {
    await nc.close();
  }
}

/** One node's configuration: client port, JetStream store, and routes to the other nodes. */
function nodeConfig(name: string, clientPort: number, routePort: number, routes: string[], storeDir: string): string {
  return `server_name: ${name}
listen: 127.0.0.1:${clientPort}
jetstream {
  store_dir: "${storeDir}"
  max_memory_store: 256MB
  # A limit, not an allocation: the LOGS (8 GiB) and METRICS (4 GiB) streams reserve their
  # max_bytes on every replica, and a stream that does not fit is refused.
  max_file_store: 32GB
}
cluster {
  name: gantry-test
  listen: 127.0.0.1:${routePort}
  routes: [${routes.map((r) => `"${r}"`).join(", ")}]
}
`;
}
