import type { Command } from "commander";
import type { SimulatedAgents } from "@gantry/agent";
import { clusterNames, connectBus, createLogger, GantryError, infrastructureUrls, type Bus } from "@gantry/platform";
import { localClusterName } from "../client-config.ts";
import { listenForInterruption } from "../interruption.ts";
import { printJson, type OutputOptions } from "../output.ts";
import { commandGroup, withJson } from "./command-kit.ts";

const EXAMPLES = `Simulated agents speak the real agent protocol over the cluster's NATS: they register, take
instances, report them running, heartbeat; they run no processes (capability "simulated").
They find the cluster through NATS, not the gateway: --nats-url (NATS_URL, default
nats://127.0.0.1:4222) and --cluster (GANTRY_CLUSTER, else the one cluster \`gantry up\` runs here).

Examples:
  gantry sim agents --count 20
  gantry sim agents --count 8 --gpus 2 --roles '*,gpu' --attributes 'rack:r{n%4};zone:a'
  gantry sim agents --count 3 --id-prefix big --cpus 64 --mem 262144 --ports 31000-31999`;

/** The flags of `gantry sim agents`, as commander hands them over (numbers still text). */
interface SimAgentsFlags extends OutputOptions {
  count: string;
  idPrefix: string;
  cpus?: string;
  mem?: string;
  disk?: string;
  gpus?: string;
  ports?: string;
  roles?: string;
  attributes?: string;
  natsUrl?: string;
  cluster?: string;
}

/** `first … last` of the agents' ids, or the one id. */
function idSpan(ids: readonly string[]): string {
  return ids.length === 1 ? ids[0]! : `${ids[0]} … ${ids.at(-1)}`;
}

/** Connects to NATS, saying which URL could not be reached (exit 1) instead of a bare socket error. */
async function connectSimBus(natsUrl: string, cluster: string): Promise<Bus> {
  try {
    return await connectBus(natsUrl, clusterNames(cluster), "sim-agents");
  } catch (err) {
    if (err instanceof GantryError) throw err;
    throw new GantryError("Unavailable", `cannot reach NATS at ${natsUrl}: ${(err as Error).message} (set --nats-url or NATS_URL)`, { cause: err });
  }
}

/**
 * Runs the simulated agents until Ctrl-C: reports on stdout when every one registered (how many,
 * their ids, the cluster), then stops them cleanly (no more heartbeats; status reports already
 * made are flushed) and closes the NATS connection. With --json one object
 * `{cluster, natsUrl, agents, registered}` is printed instead, when they registered or, if Ctrl-C
 * came first, when they stopped.
 */
async function runSimulatedAgents(flags: SimAgentsFlags): Promise<void> {
  // Loaded only here, as `gantry up` loads the services: other commands stay quick to start.
  const { compileSimulatedAgentOptions, startSimulatedAgents } = await import("@gantry/agent");
  // Compiled before anything connects: bad flags are exit 2 and nothing started.
  const options = compileSimulatedAgentOptions({
    count: flags.count,
    idPrefix: flags.idPrefix,
    ...(flags.cpus !== undefined ? { cpus: flags.cpus } : {}),
    ...(flags.mem !== undefined ? { mem: flags.mem } : {}),
    ...(flags.disk !== undefined ? { disk: flags.disk } : {}),
    ...(flags.gpus !== undefined ? { gpus: flags.gpus } : {}),
    ...(flags.ports !== undefined ? { ports: flags.ports } : {}),
    ...(flags.roles !== undefined ? { roles: flags.roles } : {}),
    ...(flags.attributes !== undefined ? { attributes: flags.attributes } : {}),
  });
  const cluster = flags.cluster ?? localClusterName();
  const natsUrl = flags.natsUrl ?? infrastructureUrls().natsUrl;
  const say = (line: string) => {
    if (!flags.json) process.stdout.write(`${line}\n`);
  };
  const interruption = listenForInterruption({ ...(flags.json ? {} : { stopping: "stopping the simulated agents…" }), forced: "stopping again: exiting now" });
  const logger = createLogger("gantry-sim", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
  let bus: Bus | undefined;
  let sims: SimulatedAgents | undefined;
  try {
    bus = await connectSimBus(natsUrl, cluster);
    sims = await startSimulatedAgents(options, { bus, logger });
    const report = (registered: boolean) => ({ cluster, natsUrl, agents: sims!.agents, registered });
    say(`started ${options.count} simulated agent${options.count === 1 ? "" : "s"} (${idSpan(sims.agents)}) on cluster "${cluster}" at ${natsUrl}; waiting for its scheduler…`);
    const registered = await Promise.race([sims.registered.then(() => !interruption.interrupted), interruption.requested.then(() => false)]);
    if (registered) {
      say(`${options.count}/${options.count} simulated agents registered. Press Ctrl-C to stop them.`);
      if (flags.json) printJson(report(true));
    }
    await interruption.requested;
    await sims.stop();
    if (!registered && flags.json) printJson(report(false));
    say(registered ? "simulated agents stopped." : "simulated agents stopped before the scheduler answered every one.");
  } finally {
    await sims?.stop();
    await bus?.close();
    interruption.dispose();
  }
}

/** `gantry sim …`: simulated agents, to try placement (`gantry app debug`, draining) and to load a cluster. */
export function simCommand(): Command {
  const sim = commandGroup("sim", "run simulated agents against a cluster (placement trials, scale tests)", EXAMPLES);
  withJson(
    sim
      .command("agents")
      .description("run N simulated agents in this process until Ctrl-C; prints how many registered")
      .requiredOption("--count <n>", "how many agents (1-100000)")
      .option("--cpus <n>", "cpus each offers (default 8)")
      .option("--mem <mb>", "memory each offers, in MB (default 16384)")
      .option("--disk <mb>", "disk each offers, in MB (default 102400)")
      .option("--gpus <n>", "GPUs each offers (default 0)")
      .option("--ports <ranges>", "host port ranges each offers (default 31000-32000)")
      .option("--roles <roles>", "roles, comma-separated (default *)")
      .option("--attributes <attrs>", "attributes k:v;k2:v2; {n} is the agent's index, {n%K} it modulo K")
      .option("--id-prefix <prefix>", "agents are <prefix>-0 … <prefix>-<N-1> (also their hostnames)", "sim")
      .option("--nats-url <url>", "the cluster's NATS (default NATS_URL or nats://127.0.0.1:4222)")
      .option("--cluster <name>", "cluster name (default: gantry --cluster, else GANTRY_CLUSTER, else the local cluster `gantry up` runs, else gantry)"),
  ).action(runSimulatedAgents);
  return sim;
}
