import type { JsonObject } from "@bufbuild/protobuf";
import type { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { refusalReasons } from "./marathon-reject-funnel.ts";

/** An inclusive range of numbers, as Mesos' `Value.Range` (`{begin, end}`). */
export interface NumberRange {
  begin: number;
  end: number;
}

/**
 * An agent attribute as Mesos parses `name:value` and Marathon renders it (`AgentAttribute`):
 * a number is a `scalar`, `[a-b,c-d]` is `ranges`, `{x,y}` is a `set`, anything else `text`.
 * A bracketed value that is not well-formed ranges stays text. Pure.
 */
export function mesosAttribute(name: string, value: string): JsonObject {
  const trimmed = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return { name, scalar: Number(trimmed) };
  const ranges = /^\[(.*)\]$/.exec(trimmed);
  if (ranges) {
    const parsed = parseRanges(ranges[1]!);
    if (parsed) return { name, ranges: parsed as unknown as JsonObject[] };
  }
  const set = /^\{(.*)\}$/.exec(trimmed);
  if (set) return { name, set: set[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "") };
  return { name, text: value };
}

/** `1-10, 20-30` (a lone `5` is `5-5`) → ranges; undefined when any part is malformed. */
function parseRanges(text: string): NumberRange[] | undefined {
  if (text.trim() === "") return [];
  const ranges: NumberRange[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) return undefined;
    const begin = Number(m[1]);
    const end = m[2] === undefined ? begin : Number(m[2]);
    if (end < begin) return undefined;
    ranges.push({ begin, end });
  }
  return ranges;
}

/**
 * The port ranges still free: `offered` less the ports in use, in ascending order, empty ranges
 * dropped. Pure; ports in use outside every range are ignored.
 */
export function freePortRanges(offered: readonly NumberRange[], inUse: readonly number[]): NumberRange[] {
  const used = [...new Set(inUse)].sort((a, b) => a - b);
  const free: NumberRange[] = [];
  for (const range of [...offered].sort((a, b) => a.begin - b.begin)) {
    let begin = range.begin;
    for (const port of used) {
      if (port < begin || port > range.end) continue;
      if (port > begin) free.push({ begin, end: port - 1 });
      begin = port + 1;
    }
    if (begin <= range.end) free.push({ begin, end: range.end });
  }
  return free;
}

const SCALARS = ["cpus", "mem", "disk", "gpus"] as const;

/**
 * What an agent offers, as Mesos offer resources (Marathon's `OfferResource`): its free
 * cpus, mem, disk and gpus per role (`free_by_role`, or `free` as role `*` when the scheduler
 * gave no split), zero amounts left out as Mesos leaves them out of offers, then its free
 * port ranges (role `*`). Pure.
 */
export function marathonOfferResources(agent: schedulerV1Model.Agent | undefined): JsonObject[] {
  if (!agent) return [];
  const byRole = agent.freeByRole.length > 0 ? agent.freeByRole.map((r) => ({ role: r.role || "*", resources: r.resources })) : [{ role: "*", resources: agent.free }];
  const resources: JsonObject[] = [];
  for (const { role, resources: amounts } of byRole) {
    for (const name of SCALARS) {
      const scalar = amounts?.[name] ?? 0;
      if (scalar > 0) resources.push({ name, role, scalar });
    }
  }
  const ports = freePortRanges(agent.portRanges, agent.portsInUse);
  if (ports.length > 0) resources.push({ name: "ports", role: "*", ranges: ports as unknown as JsonObject[] });
  return resources;
}

/**
 * One of Marathon's `lastUnusedOffers` (`UnusedOffer`) from the verdicts on an agent that does
 * not fit: the agent's offer (id `<agentId>-<checkedAt>`, stable for one check), every reason it
 * was refused for in funnel order, and when it was checked. Attributes are sorted by name. Pure.
 */
export function marathonUnusedOffer(verdicts: schedulerV1.AgentVerdicts): JsonObject {
  const attributes = Object.entries(verdicts.agent?.attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => mesosAttribute(name, value));
  return {
    offer: {
      id: `${verdicts.agentId}-${verdicts.checkedAt}`,
      hostname: verdicts.hostname || verdicts.agent?.hostname || "",
      agentId: verdicts.agentId,
      resources: marathonOfferResources(verdicts.agent),
      attributes,
    },
    reason: refusalReasons(verdicts.dimensions),
    timestamp: verdicts.checkedAt,
  };
}
