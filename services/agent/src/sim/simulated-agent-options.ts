import { GantryError, type FieldViolation } from "@gantry/platform/errors";
import { AGENT_ID_PATTERN, parseAttributes, parsePortRanges, parseRoles, type PortRangeSpec } from "../domain/index.ts";

/** An inclusive range of milliseconds; a task's value in it is drawn from the seed and the task id. */
export interface MsRange {
  min: number;
  max: number;
}

/**
 * Simulated agent options as given (CLI flags, a test, a benchmark): every field optional,
 * numbers may come as strings. `compileSimulatedAgentOptions` turns them into
 * `SimulatedAgentOptions` once, at the edge.
 */
export interface RawSimulatedAgentOptions {
  /** How many agents (default 10). */
  count?: number | string;
  /** Agents are `<idPrefix>-<n>`, n = 0 … count-1 (default `sim`); the id is also the hostname. */
  idPrefix?: string;
  /** Per agent (defaults 8 cpus, 16384 MB mem, 102400 MB disk, 0 GPUs). */
  cpus?: number | string;
  mem?: number | string;
  disk?: number | string;
  gpus?: number | string;
  /** Per agent, `31000-32000` by default. */
  ports?: string;
  /**
   * `rack:r{n%4};zone:z{n%2}`: `{n}` is the agent's index and `{n%K}` the index modulo K, so
   * attributes can vary by index; or a map (same for all), or a function of the index.
   */
  attributes?: string | Record<string, string> | ((n: number) => Record<string, string>);
  /** `*,gpu` or a list (default `*`). */
  roles?: string | string[];
  /** Delay between a launch and its RUNNING report: `20`, `5-50` or [5, 50] (default 5-50). */
  launchDelayMs?: number | string | readonly [number, number];
  /** Share of launched tasks that fail after running a while, 0…1 (default 0). */
  failureRate?: number | string;
  /** Exit code of a failing task, 1…255 (default 1). */
  failureExitCode?: number | string;
  /** How long a failing task runs before it fails, like launchDelayMs (default 1000-5000). */
  failAfterMs?: number | string | readonly [number, number];
  /** Seed of the per-task draws (delays, failures), a non-negative integer (default 1). */
  seed?: number | string;
  /** Heartbeat interval in seconds, overriding what the scheduler's answer asks for. */
  heartbeatIntervalSeconds?: number | string;
}

/** Compiled simulated agent options: complete and valid, so the simulation never re-checks them. */
export interface SimulatedAgentOptions {
  count: number;
  idPrefix: string;
  /** Resources each agent offers (mem and disk in MB). */
  resources: { cpus: number; mem: number; disk: number; gpus: number };
  ports: PortRangeSpec[];
  /** Attributes of agent number `n`. */
  attributesOf(n: number): Record<string, string>;
  roles: string[];
  launchDelayMs: MsRange;
  /** `rate` 0 means no task fails. */
  failure: { rate: number; exitCode: number; afterMs: MsRange };
  seed: number;
  /** Undefined: the interval the scheduler's registration answer asks for. */
  heartbeatIntervalSeconds: number | undefined;
}

/** Most agents one process simulates (ids and subscriptions stay sane). */
export const MAX_SIMULATED_AGENTS = 100_000;

export type CompiledSimulatedOptions = { ok: true; options: SimulatedAgentOptions } | { ok: false; violations: FieldViolation[] };

/**
 * Compiles raw options. Pure. Returns every violation at once, each naming its option
 * (`/count`, `/launchDelayMs`, …).
 */
export function buildSimulatedAgentOptions(raw: RawSimulatedAgentOptions): CompiledSimulatedOptions {
  const violations: FieldViolation[] = [];
  const bad = (path: string, error: string) => violations.push({ path, errors: [error] });

  const number = (path: string, input: number | string | undefined, fallback: number, check: (n: number) => string | undefined): number => {
    if (input === undefined) return fallback;
    const n = typeof input === "number" ? input : input.trim() === "" ? Number.NaN : Number(input);
    const problem = Number.isFinite(n) ? check(n) : "is not a number";
    if (problem) bad(path, `"${input}" ${problem}`);
    return problem ? fallback : n;
  };
  const integer = (lo: number, hi: number) => (n: number) => (Number.isInteger(n) && n >= lo && n <= hi ? undefined : `must be a whole number from ${lo} to ${hi}`);
  const amount = (what: string) => (n: number) => (n >= 0 ? undefined : `must be a non-negative number of ${what}`);

  const count = number("/count", raw.count, 10, integer(1, MAX_SIMULATED_AGENTS));
  const idPrefix = raw.idPrefix ?? "sim";
  const longestId = `${idPrefix}-${Math.max(count - 1, 0)}`;
  if (!AGENT_ID_PATTERN.test(longestId)) bad("/idPrefix", `"${idPrefix}" must be letters, digits, '_' or '-', starting with a letter or digit, and leave ids (like "${longestId}") at most 63 long`);

  const cpus = number("/cpus", raw.cpus, 8, amount("cpus"));
  const mem = number("/mem", raw.mem, 16_384, amount("megabytes"));
  const disk = number("/disk", raw.disk, 102_400, amount("megabytes"));
  const gpus = number("/gpus", raw.gpus, 0, integer(0, 1024));

  const ports = parsePortRanges(raw.ports ?? "31000-32000");
  if (!ports.ok) bad("/ports", ports.error);

  let attributesOf: (n: number) => Record<string, string> = () => ({});
  if (typeof raw.attributes === "function") attributesOf = raw.attributes;
  else if (typeof raw.attributes === "string") {
    const a = parseAttributes(raw.attributes);
    if (!a.ok) bad("/attributes", a.error);
    else {
      const templates = Object.entries(a.value).map(([key, value]) => [key, compileTemplate(value)] as const);
      const problem = templates.map(([, t]) => t).find((t): t is { error: string } => "error" in t);
      if (problem) bad("/attributes", problem.error);
      else attributesOf = (n) => Object.fromEntries(templates.map(([key, t]) => [key, (t as { render: (n: number) => string }).render(n)]));
    }
  } else if (raw.attributes) {
    const fixed = { ...raw.attributes };
    attributesOf = () => ({ ...fixed });
  }

  const roles = parseRoles(raw.roles ?? ["*"]);
  if (!roles.ok) bad("/roles", roles.error);

  const range = (path: string, input: RawSimulatedAgentOptions["launchDelayMs"], fallback: MsRange): MsRange => {
    if (input === undefined) return fallback;
    const r = parseMsRange(input);
    if (typeof r === "string") {
      bad(path, r);
      return fallback;
    }
    return r;
  };
  const launchDelayMs = range("/launchDelayMs", raw.launchDelayMs, { min: 5, max: 50 });
  const afterMs = range("/failAfterMs", raw.failAfterMs, { min: 1_000, max: 5_000 });
  const rate = number("/failureRate", raw.failureRate, 0, (n) => (n >= 0 && n <= 1 ? undefined : "must be a share from 0 to 1"));
  const exitCode = number("/failureExitCode", raw.failureExitCode, 1, integer(1, 255));
  const seed = number("/seed", raw.seed, 1, integer(0, 2 ** 32 - 1));
  let heartbeatIntervalSeconds: number | undefined;
  if (raw.heartbeatIntervalSeconds !== undefined) {
    heartbeatIntervalSeconds = number("/heartbeatIntervalSeconds", raw.heartbeatIntervalSeconds, 0, (n) => (n >= 0.01 ? undefined : "must be at least 0.01 seconds"));
  }

  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    options: {
      count,
      idPrefix,
      resources: { cpus, mem, disk, gpus },
      ports: ports.ok ? ports.value : [],
      attributesOf,
      roles: roles.ok ? roles.value : ["*"],
      launchDelayMs,
      failure: { rate, exitCode, afterMs },
      seed,
      heartbeatIntervalSeconds,
    },
  };
}

/**
 * Compiles raw simulated agent options once, at the edge. Throws GantryError InvalidArgument
 * naming every bad option (`--count: "0" must be a whole number from 1 to 100000`), with one
 * violation per option path.
 */
export function compileSimulatedAgentOptions(raw: RawSimulatedAgentOptions = {}): SimulatedAgentOptions {
  const compiled = buildSimulatedAgentOptions(raw);
  if (compiled.ok) return compiled.options;
  const text = compiled.violations.map((v) => `--${flagName(v.path)}: ${v.errors.join("; ")}`).join("; ");
  throw new GantryError("InvalidArgument", `invalid simulated agent options: ${text}`, { violations: compiled.violations });
}

/** The ids `<idPrefix>-0` … `<idPrefix>-<count-1>`. */
export function simulatedAgentIds(options: Pick<SimulatedAgentOptions, "count" | "idPrefix">): string[] {
  return Array.from({ length: options.count }, (_, n) => `${options.idPrefix}-${n}`);
}

function flagName(path: string): string {
  return path.slice(1).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `20`, `5-50` or [5, 50] → an inclusive range of whole milliseconds, or what is wrong. */
function parseMsRange(input: number | string | readonly [number, number]): MsRange | string {
  let min: number;
  let max: number;
  if (typeof input === "number") min = max = input;
  else if (typeof input === "string") {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(input);
    if (!m) return `"${input}" is not milliseconds (20) or a range of them (5-50)`;
    min = Number(m[1]);
    max = m[2] === undefined ? min : Number(m[2]);
  } else [min, max] = input;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0) return `"${String(input)}" must be whole non-negative milliseconds`;
  if (max < min) return `"${String(input)}" ends before it begins`;
  return { min, max };
}

/** An attribute value with `{n}` and `{n%K}` placeholders, or what is wrong with it. */
function compileTemplate(value: string): { render: (n: number) => string } | { error: string } {
  const parts: ((n: number) => string)[] = [];
  let rest = value;
  while (rest !== "") {
    const open = rest.indexOf("{");
    if (open < 0) {
      const text = rest;
      parts.push(() => text);
      break;
    }
    const text = rest.slice(0, open);
    parts.push(() => text);
    const close = rest.indexOf("}", open);
    const m = close < 0 ? null : /^n(?:%([1-9]\d*))?$/.exec(rest.slice(open + 1, close));
    if (!m) return { error: `"${value}": placeholders are {n} (the agent's index) or {n%K} with K ≥ 1` };
    const modulo = m[1] === undefined ? undefined : Number(m[1]);
    parts.push((n) => String(modulo === undefined ? n : n % modulo));
    rest = rest.slice(close + 1);
  }
  return { render: (n) => parts.map((p) => p(n)).join("") };
}
