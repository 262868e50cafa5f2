import path from "node:path";
import { clusterNames, GantryError } from "@gantry/platform";
import { defaultDataDir } from "./data-dir.ts";
import type { LaunchOptions } from "./launch.ts";
import { LOG_FORMATS, type LogFormat } from "./log-sink.ts";

/** `gantry up`'s flags as given, plus where local state lives (`GANTRY_HOME`). */
export interface RawLaunchOptions {
  cluster: string;
  host: string;
  port: number;
  gantryHome: string;
  dataDir?: string;
  agents: string | number;
  agentCpus?: string;
  agentMem?: string;
  agentAttributes?: string;
  isolation?: string;
  logFormat: string;
  tls?: boolean;
}

/** More local agents than this on one machine is a mistake (each is a process; use `gantry sim agents` for scale). */
export const MAX_LOCAL_AGENTS = 32;

/**
 * Compiles `gantry up`'s flags once, at the edge: the cluster name checked, the data dir
 * defaulted (`<gantryHome>/<cluster>`) and made absolute, the agent count and log format
 * validated. Throws InvalidArgument naming the flag.
 */
export function compileLaunchOptions(raw: RawLaunchOptions, env: NodeJS.ProcessEnv, streams: Pick<LaunchOptions, "out" | "logs">): LaunchOptions {
  clusterNames(raw.cluster);
  const agents = Number(raw.agents);
  if (!Number.isInteger(agents) || agents < 0 || agents > MAX_LOCAL_AGENTS) {
    throw new GantryError("InvalidArgument", `--agents: "${raw.agents}" is not a number of agents from 0 to ${MAX_LOCAL_AGENTS}`);
  }
  if (!LOG_FORMATS.includes(raw.logFormat as LogFormat)) {
    throw new GantryError("InvalidArgument", `--log-format: "${raw.logFormat}" is not one of ${LOG_FORMATS.join(", ")}`);
  }
  return {
    cluster: raw.cluster,
    host: raw.host,
    port: raw.port,
    gantryHome: raw.gantryHome,
    dataDir: path.resolve(raw.dataDir ?? defaultDataDir(raw.gantryHome, raw.cluster)),
    agents,
    agentSettings: { cpus: raw.agentCpus, mem: raw.agentMem, attributes: raw.agentAttributes, isolation: raw.isolation },
    logFormat: raw.logFormat as LogFormat,
    tls: raw.tls === true,
    env,
    ...streams,
  };
}
