import type { ResourceAmount } from "./resources.ts";

/**
 * What the scheduler needs of an app version: how many instances, what each runs and needs.
 * Read from the registry's normalised Marathon definition by `appSpecFromDefinition`.
 */
export interface AppSpec {
  id: string;
  version: string;
  instances: number;
  cmd: string;
  args: string[];
  env: Record<string, string>;
  resources: ResourceAmount;
  killGracePeriodSeconds: number;
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
}

/**
 * Reads an AppSpec from a normalised Marathon app definition (plain JSON). The registry has
 * validated it, so missing optional fields take Marathon's defaults here and nothing throws.
 */
export function appSpecFromDefinition(version: string, def: Record<string, unknown>): AppSpec {
  const num = (key: string, fallback: number) => (typeof def[key] === "number" ? (def[key] as number) : fallback);
  const env: Record<string, string> = {};
  if (def.env && typeof def.env === "object") {
    for (const [k, v] of Object.entries(def.env as Record<string, unknown>)) {
      if (typeof v === "string") env[k] = v;
    }
  }
  return {
    id: String(def.id),
    version,
    instances: num("instances", 1),
    cmd: typeof def.cmd === "string" ? def.cmd : "",
    args: Array.isArray(def.args) ? def.args.map(String) : [],
    env,
    resources: { cpus: num("cpus", 1), mem: num("mem", 128), disk: num("disk", 0), gpus: num("gpus", 0) },
    killGracePeriodSeconds: num("taskKillGracePeriodSeconds", 3),
    backoffSeconds: num("backoffSeconds", 1),
    backoffFactor: num("backoffFactor", 1.15),
    maxLaunchDelaySeconds: num("maxLaunchDelaySeconds", 3600),
  };
}
