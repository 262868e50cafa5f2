/**
 * Parsers of the agent's option strings (CLI flags, environment, `gantry up`). Pure: each
 * returns the parsed value or an error string saying what is wrong, never throws.
 */

/** A GPU device the agent offers: index as the driver numbers it, uuid and model name. */
export interface GpuDeviceSpec {
  index: number;
  uuid: string;
  model: string;
  /**
   * Minor number of its device file `/dev/nvidia<minor>` (major 195), which the devices cgroup
   * denies to tasks not given the GPU; read from the driver (`/proc/driver/nvidia/gpus/…`), and
   * taken to be `index` when absent (configured GPUs).
   */
  minor?: number;
}

/** An inclusive range of host ports. */
export interface PortRangeSpec {
  begin: number;
  end: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** Agent ids travel in NATS subjects and cgroup paths: letters, digits, `_` and `-`, 1-63 long. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * The default agent id of a host: stable across restarts (so re-attach and the scheduler's
 * view survive), `agent-` plus the host name with every character a subject cannot carry turned into `-`.
 */
export function defaultAgentId(hostname: string): string {
  const cleaned = hostname.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return `agent-${cleaned || "localhost"}`.slice(0, 63);
}

/** Parses `31000-32000,40000-40010` (single ports allowed: `8080`); ranges must lie in 1-65535 and not overlap. */
export function parsePortRanges(text: string): Parsed<PortRangeSpec[]> {
  const ranges: PortRangeSpec[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return fail(`"${part}" is not a port or a range like 31000-32000`);
    const begin = Number(m[1]);
    const end = m[2] === undefined ? begin : Number(m[2]);
    if (begin < 1 || end > 65535) return fail(`"${part}" is outside 1-65535`);
    if (end < begin) return fail(`"${part}" ends before it begins`);
    ranges.push({ begin, end });
  }
  ranges.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur.begin <= prev.end) return fail(`ranges ${prev.begin}-${prev.end} and ${cur.begin}-${cur.end} overlap`);
  }
  return ok(ranges);
}

/** Parses attributes `rack:r1;zone:a` (Mesos' syntax); keys are unique and non-empty. */
export function parseAttributes(text: string): Parsed<Record<string, string>> {
  const attributes: Record<string, string> = {};
  for (const part of text.split(";").map((p) => p.trim()).filter((p) => p !== "")) {
    const colon = part.indexOf(":");
    if (colon <= 0) return fail(`"${part}" is not key:value`);
    const key = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (key in attributes) return fail(`attribute "${key}" is given twice`);
    attributes[key] = value;
  }
  return ok(attributes);
}

/** Parses roles `*,gpu` or a list; `*` is the default role every app accepts. */
export function parseRoles(input: string | readonly string[]): Parsed<string[]> {
  const list = (typeof input === "string" ? input.split(",") : [...input]).map((r) => r.trim()).filter((r) => r !== "");
  if (list.length === 0) return fail("at least one role is needed (use * for the default role)");
  for (const r of list) if (r !== "*" && !/^[A-Za-z0-9_.-]+$/.test(r)) return fail(`role "${r}" may use only letters, digits, '_', '.', '-' (or be *)`);
  return ok([...new Set(list)]);
}

/** Parses configured GPUs `0:GPU-uuid:Tesla V100,1:GPU-uuid2:Tesla V100` (index:uuid:model, comma separated). */
export function parseGpuList(text: string): Parsed<GpuDeviceSpec[]> {
  const gpus: GpuDeviceSpec[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [index, uuid, ...model] = part.split(":");
    if (index === undefined || !/^\d+$/.test(index.trim()) || uuid === undefined || uuid.trim() === "") {
      return fail(`"${part}" is not index:uuid:model`);
    }
    gpus.push({ index: Number(index), uuid: uuid.trim(), model: model.join(":").trim() });
  }
  return checkGpuIndices(gpus);
}

/** Parses `nvidia-smi --query-gpu=index,uuid,name --format=csv,noheader` output. */
export function parseNvidiaSmi(csv: string): Parsed<GpuDeviceSpec[]> {
  const gpus: GpuDeviceSpec[] = [];
  for (const line of csv.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const [index, uuid, ...name] = line.split(",").map((f) => f.trim());
    if (index === undefined || !/^\d+$/.test(index) || !uuid) return fail(`unexpected nvidia-smi line "${line}"`);
    gpus.push({ index: Number(index), uuid, model: name.join(",") });
  }
  return checkGpuIndices(gpus);
}

/**
 * Reads the uuid and device minor out of one `/proc/driver/nvidia/gpus/<bus id>/information`
 * file (`GPU UUID: GPU-…` and `Device Minor: 0` lines); undefined when either is missing.
 */
export function parseNvidiaGpuInformation(text: string): { uuid: string; minor: number } | undefined {
  const uuid = /^GPU UUID:\s*(\S+)\s*$/m.exec(text)?.[1];
  const minor = /^Device Minor:\s*(\d+)\s*$/m.exec(text)?.[1];
  return uuid !== undefined && minor !== undefined ? { uuid, minor: Number(minor) } : undefined;
}

function checkGpuIndices(gpus: GpuDeviceSpec[]): Parsed<GpuDeviceSpec[]> {
  const seen = new Set<number>();
  for (const g of gpus) {
    if (seen.has(g.index)) return fail(`GPU index ${g.index} is given twice`);
    seen.add(g.index);
  }
  return ok(gpus.sort((a, b) => a.index - b.index));
}

/** Parses a non-negative number given as a number or a string; `what` names the unit in the error. */
export function parseAmount(input: number | string, what: string): Parsed<number> {
  const n = typeof input === "number" ? input : input.trim() === "" ? Number.NaN : Number(input);
  if (!Number.isFinite(n) || n < 0) return fail(`"${input}" is not a non-negative number of ${what}`);
  return ok(n);
}
