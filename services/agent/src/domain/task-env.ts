import type { LaunchRequest } from "./launch-spec.ts";

/** What the agent adds to a task's environment besides the app's own variables. */
export interface TaskEnvContext {
  hostname: string;
  sandbox: string;
  agentId: string;
  /** The agent's own environment; only PATH, HOME, LANG, LC_ALL and TZ pass through. */
  inherited: Readonly<Record<string, string | undefined>>;
  /** GPU indices given to the task; undefined when the agent has no GPUs (nothing set then). */
  gpuIndices: readonly number[] | undefined;
}

const PASS_THROUGH = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"] as const;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The environment of a task, in three layers, later wins: a few of the agent's variables, the
 * app's `env`, then what the platform guarantees (Marathon/Mesos names, so Marathon apps run
 * unchanged): MESOS_SANDBOX, MESOS_TASK_ID, MARATHON_APP_ID, MARATHON_APP_VERSION,
 * MARATHON_APP_RESOURCE_*, GANTRY_TASK_ID, GANTRY_INSTANCE_ID, GANTRY_AGENT_ID, HOST, and PORT/PORTS derived
 * from PORT0…PORTn when the launch carries those. On a GPU agent CUDA_VISIBLE_DEVICES and
 * NVIDIA_VISIBLE_DEVICES list the task's GPUs (empty / `void` for a task without GPUs).
 */
export function buildTaskEnvironment(launch: LaunchRequest, ctx: TaskEnvContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASS_THROUGH) {
    const v = ctx.inherited[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= DEFAULT_PATH;
  Object.assign(env, launch.env);

  const portKeys = Object.keys(launch.env)
    .filter((k) => /^PORT\d+$/.test(k))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  if (portKeys.length > 0) {
    env.PORT ??= launch.env[portKeys[0]!]!;
    env.PORTS ??= portKeys.map((k) => launch.env[k]).join(",");
  }

  const r = launch.resources;
  Object.assign(env, {
    HOST: ctx.hostname,
    MESOS_SANDBOX: ctx.sandbox,
    MESOS_TASK_ID: launch.taskId,
    MARATHON_APP_ID: launch.appId,
    MARATHON_APP_VERSION: launch.appVersion,
    MARATHON_APP_RESOURCE_CPUS: String(r?.cpus ?? 0),
    MARATHON_APP_RESOURCE_MEM: String(r?.mem ?? 0),
    MARATHON_APP_RESOURCE_DISK: String(r?.disk ?? 0),
    MARATHON_APP_RESOURCE_GPUS: String(r?.gpus ?? 0),
    GANTRY_TASK_ID: launch.taskId,
    GANTRY_INSTANCE_ID: launch.instanceId,
    GANTRY_AGENT_ID: ctx.agentId,
  });
  if (ctx.gpuIndices !== undefined) {
    const list = ctx.gpuIndices.join(",");
    env.CUDA_VISIBLE_DEVICES = list;
    env.NVIDIA_VISIBLE_DEVICES = list === "" ? "void" : list;
  }
  return env;
}
