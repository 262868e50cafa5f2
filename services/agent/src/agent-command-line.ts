import { parseArgs } from "node:util";
import type { RawAgentOptions } from "./domain/index.ts";

/** `node services/agent/src/main.ts --help`. */
export const AGENT_USAGE = `usage: node services/agent/src/main.ts [flags]
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
  --grpc-listen H:P      gRPC endpoint (exec): HOST:PORT, PORT or off; default <hostname>:0 (GANTRY_AGENT_GRPC_LISTEN)
  --exec-key-file F      the gateway's exec ticket public key, PEM (GANTRY_AGENT_EXEC_KEY_FILE)
  --nats-url URL         default $NATS_URL or nats://127.0.0.1:4222
  --cluster NAME         default $GANTRY_CLUSTER or gantry
  --kill-tasks-on-exit   kill tasks on SIGTERM/SIGINT instead of leaving them for re-attach`;

/** The agent's option flags, each with its `RawAgentOptions` field; each falls back to `GANTRY_AGENT_<FLAG>`. */
const OPTION_FLAGS = {
  "agent-id": "agentId",
  hostname: "hostname",
  "work-dir": "workDir",
  cpus: "cpus",
  mem: "mem",
  disk: "disk",
  ports: "ports",
  gpus: "gpus",
  attributes: "attributes",
  roles: "roles",
  isolation: "isolation",
  "cni-config-dir": "cniConfigDir",
  "cni-plugin-dirs": "cniPluginDirs",
  "sandbox-gc-hours": "sandboxGcHours",
  "grpc-listen": "grpcListen",
  "exec-key-file": "execKeyFile",
} as const satisfies Record<string, keyof RawAgentOptions>;

type OptionFlag = keyof typeof OPTION_FLAGS;

/** The environment variable an agent option flag falls back to: `--work-dir` → `GANTRY_AGENT_WORK_DIR`. */
function agentFlagEnvName(flag: string): string {
  return `GANTRY_AGENT_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Every environment variable the agent's flags fall back to. */
export const AGENT_FLAG_ENV_NAMES: readonly string[] = Object.keys(OPTION_FLAGS).map(agentFlagEnvName);

/** The agent process's command line, read: its raw options (flags, else environment) and the process's own flags. */
export interface AgentCommandLine {
  raw: RawAgentOptions;
  /** `--nats-url`; undefined means `NATS_URL` (see infrastructureUrls). */
  natsUrl: string | undefined;
  /** `--cluster`; undefined means `GANTRY_CLUSTER` (see clusterNames). */
  cluster: string | undefined;
  killTasksOnExit: boolean;
  help: boolean;
}

/**
 * Reads the agent's flags (`AGENT_USAGE`), each option falling back to its `GANTRY_AGENT_*`
 * variable in `env`. Strict: an unknown flag or a missing value throws (node's parseArgs error,
 * naming the flag). Values are not validated here: compileAgentOptions does that.
 */
export function parseAgentCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentCommandLine {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(OPTION_FLAGS).map((f) => [f, { type: "string" as const }])),
      "nats-url": { type: "string" },
      cluster: { type: "string" },
      "kill-tasks-on-exit": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const given = values as Record<string, string | boolean | undefined>;
  const raw: Record<string, string | undefined> = {};
  for (const [flag, field] of Object.entries(OPTION_FLAGS) as [OptionFlag, string][]) {
    raw[field] = (given[flag] as string | undefined) ?? env[agentFlagEnvName(flag)];
  }
  return {
    raw: raw as RawAgentOptions,
    natsUrl: given["nats-url"] as string | undefined,
    cluster: given.cluster as string | undefined,
    killTasksOnExit: given["kill-tasks-on-exit"] === true,
    help: given.help === true,
  };
}
