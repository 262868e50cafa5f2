/**
 * Simulated agents as their own process, for scale tests and benchmarks:
 *   node services/agent/src/sim/main.ts --count 50 --cpus 8 --mem 16384 [flags]
 * with NATS_URL and GANTRY_CLUSTER from the environment (or --nats-url, --cluster). Stops
 * cleanly on SIGTERM/SIGINT (the agents vanish; nothing is reported for their tasks).
 */
import { parseArgs } from "node:util";
import { clusterNames, connectBus, infrastructureUrls, runServiceProcess } from "@gantry/platform";
import { compileSimulatedAgentOptions } from "./simulated-agent-options.ts";
import { startSimulatedAgents } from "./simulated-agents.ts";

const USAGE = `usage: node services/agent/src/sim/main.ts [flags]
  --count N                  agents to simulate (default 10)
  --id-prefix P              agent ids P-0 … P-<N-1> (default sim)
  --cpus N --mem MB --disk MB --gpus N   per agent (default 8, 16384, 102400, 0)
  --ports RANGES             per agent (default 31000-32000)
  --attributes A             rack:r{n%4};zone:z{n%2}  ({n} = agent index, {n%K} = index mod K)
  --roles R                  default *
  --launch-delay-ms MS|A-B   launch → RUNNING (default 5-50)
  --failure-rate F           share of tasks that fail after running a while, 0-1 (default 0)
  --failure-exit-code C      their exit code (default 1)
  --fail-after-ms MS|A-B     how long they run first (default 1000-5000)
  --seed S                   seed of the per-task draws (default 1)
  --heartbeat-seconds S      override the interval the scheduler asks for
  --nats-url URL             default $NATS_URL or nats://127.0.0.1:4222
  --cluster NAME             default $GANTRY_CLUSTER or gantry`;

const FLAGS = ["count", "id-prefix", "cpus", "mem", "disk", "gpus", "ports", "attributes", "roles", "launch-delay-ms", "failure-rate", "failure-exit-code", "fail-after-ms", "seed", "heartbeat-seconds", "nats-url", "cluster"] as const;

let values: Partial<Record<(typeof FLAGS)[number], string>> & { help?: boolean };
try {
  values = parseArgs({ options: { ...Object.fromEntries(FLAGS.map((f) => [f, { type: "string" as const }])), help: { type: "boolean", short: "h" } }, strict: true }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

if (values.help) console.log(USAGE);
else {
  await runServiceProcess("agent-sim", async (logger) => {
    const options = compileSimulatedAgentOptions({
      count: values.count,
      idPrefix: values["id-prefix"],
      cpus: values.cpus,
      mem: values.mem,
      disk: values.disk,
      gpus: values.gpus,
      ports: values.ports,
      attributes: values.attributes,
      roles: values.roles,
      launchDelayMs: values["launch-delay-ms"],
      failureRate: values["failure-rate"],
      failureExitCode: values["failure-exit-code"],
      failAfterMs: values["fail-after-ms"],
      seed: values.seed,
      heartbeatIntervalSeconds: values["heartbeat-seconds"],
    });
    const bus = await connectBus(values["nats-url"] ?? infrastructureUrls().natsUrl, clusterNames(values.cluster), `agent-sim/${options.idPrefix}`);
    try {
      const sims = await startSimulatedAgents(options, { bus, logger });
      logger.info({ count: options.count, first: sims.agents[0], resources: options.resources, cluster: bus.names.cluster }, "simulated agents started; registering");
      return {
        async stop() {
          await sims.stop();
          await bus.close();
        },
      };
    } catch (err) {
      await bus.close();
      throw err;
    }
  });
}
