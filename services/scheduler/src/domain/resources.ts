/** An amount of schedulable resources: cpus (shares of a core), mem and disk in MB, whole GPUs. */
export interface ResourceAmount {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/** No resources at all. */
export const ZERO: ResourceAmount = Object.freeze({ cpus: 0, mem: 0, disk: 0, gpus: 0 });

/** `a + b`, rounded to avoid floating drift in cpus (0.1 + 0.2). */
export function addResources(a: ResourceAmount, b: ResourceAmount): ResourceAmount {
  return { cpus: round(a.cpus + b.cpus), mem: round(a.mem + b.mem), disk: round(a.disk + b.disk), gpus: a.gpus + b.gpus };
}

/** `a - b`, rounded like addResources. */
export function subtractResources(a: ResourceAmount, b: ResourceAmount): ResourceAmount {
  return { cpus: round(a.cpus - b.cpus), mem: round(a.mem - b.mem), disk: round(a.disk - b.disk), gpus: a.gpus - b.gpus };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
