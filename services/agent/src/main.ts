/**
 * The agent process: `node services/agent/src/main.ts [flags]`. Reads flags (falling back to
 * GANTRY_AGENT_* environment variables), connects to NATS (NATS_URL, cluster GANTRY_CLUSTER),
 * starts the agent. SIGTERM/SIGINT stop it WITHOUT killing tasks (an agent restart re-attaches);
 * `--kill-tasks-on-exit` kills them instead.
 */
import { parseArgs } from "node:util";
import { connectBus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent } from "./agent-service.ts";

const USAGE = `usage: node services/agent/src/main.ts [flags]
  --agent-id ID          default agent-<hostname>             (GANTRY_AGENT_ID)
  --hostname NAME        default os.hostname()                (GANTRY_AGENT_HOSTNAME)
  --work-dir DIR         default $GANTRY_HOME/agent/<id>      (GANTRY_AGENT_WORK_DIR)
  --cpus N --mem MB --disk MB   default: from the machine     (GANTRY_AGENT_CPUS/_MEM/_DISK)
  --ports RANGES         default 31000-32000                  (GANTRY_AGENT_PORTS)
  --gpus LIST            index:uuid:model,… when no nvidia-smi (GANTRY_AGENT_GPUS)
  --attributes A         rack:r1;zone:a                       (GANTRY_AGENT_ATTRIBUTES)
  --roles R              default *                            (GANTRY_AGENT_ROLES)
  --isolation MODE       auto | none | cgroups (default auto)  (GANTRY_AGENT_ISOLATION)
  --sandbox-gc-hours H   remove ended tasks' sandboxes after H hours, default 168 (GANTRY_AGENT_SANDBOX_GC_HOURS)
  --cni-config-dir DIR   CNI network configs, default /etc/gantry/cni (GANTRY_AGENT_CNI_CONFIG_DIR)
  --cni-plugin-dirs D:D  default /usr/lib/cni, /opt/cni/bin where present (GANTRY_AGENT_CNI_PLUGIN_DIRS)
  --nats-url URL         default $NATS_URL or nats://127.0.0.1:4222
  --cluster NAME         default $GANTRY_CLUSTER or gantry
  --kill-tasks-on-exit   kill tasks on SIGTERM/SIGINT instead of leaving them for re-attach`;

const FLAGS = ["agent-id", "hostname", "work-dir", "cpus", "mem", "disk", "ports", "gpus", "attributes", "roles", "isolation", "cni-config-dir", "cni-plugin-dirs", "sandbox-gc-hours"] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(FLAGS.map((f) => [f, { type: "string" as const }])),
      "nats-url": { type: "string" },
      cluster: { type: "string" },
      "kill-tasks-on-exit": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const given = values as Record<string, string | boolean | undefined>;
  const flag = (name: (typeof FLAGS)[number]) => (given[name] as string | undefined) ?? process.env[`GANTRY_AGENT_${name.toUpperCase().replaceAll("-", "_")}`];
  const options = compileAgentOptions({
    agentId: flag("agent-id"),
    hostname: flag("hostname"),
    workDir: flag("work-dir"),
    cpus: flag("cpus"),
    mem: flag("mem"),
    disk: flag("disk"),
    ports: flag("ports"),
    gpus: flag("gpus"),
    attributes: flag("attributes"),
    roles: flag("roles"),
    isolation: flag("isolation"),
    cniConfigDir: flag("cni-config-dir"),
    cniPluginDirs: flag("cni-plugin-dirs"),
    sandboxGcHours: flag("sandbox-gc-hours"),
  });
  const logger = createLogger("agent");
  const bus = await connectBus((values["nats-url"] as string | undefined) ?? infrastructureUrls().natsUrl, clusterNames(values.cluster as string | undefined), `agent/${options.agentId}`);
  const agent = await startAgent(options, { bus, logger });
  logger.info({ agent: agent.agentId, workDir: options.workDir, resources: options.resources, gpus: options.gpus.length }, "agent started");
  const shutdown = async () => {
    await agent.stop({ killTasks: values["kill-tasks-on-exit"] === true });
    await bus.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
