import { REASON_FUNNEL, type DimensionVerdict, type ReasonCode } from "../domain/index.ts";

/** One agent's last full check for a waiting run spec. */
export interface AgentCheck {
  agentId: string;
  dimensions: DimensionVerdict[];
  /** The first refusal in funnel order; undefined when the agent would take an instance. */
  firstRefusal: ReasonCode | undefined;
  checkedAt: number;
}

/** Why one run spec's instances wait, as last seen. */
export interface WaitingRunSpec {
  id: string;
  waiting: number;
  /** When this launch attempt began (instances started waiting). */
  since: number;
  /** Each agent's last full check. */
  agents: Map<string, AgentCheck>;
  /** Agents examined since the launch attempt began, and their first refusals counted. */
  processed: number;
  refusedSinceStart: Partial<Record<ReasonCode, number>>;
  lastUnusedAt: number | undefined;
  lastUsedAt: number | undefined;
}

/** One row of Marathon's reject funnel. */
export interface FunnelRow {
  reason: ReasonCode;
  declined: number;
  processed: number;
}

/**
 * "Why is my app not deploying": for every run spec with instances waiting, the last verdict of
 * each agent on every dimension (codes and parameters, rendered only when read), and the counts
 * Marathon's /v2/queue shows. Kept from the moment instances wait until they are all placed.
 */
export class PlacementExplanations {
  readonly #waiting = new Map<string, WaitingRunSpec>();

  /** Records a pass that left `waiting` instances unplaced, with every agent's full check and the examination counts of its selections. */
  recordWaiting(id: string, waiting: number, checks: AgentCheck[], examined: { processed: number; refused: Partial<Record<ReasonCode, number>>; placed: number }, now: number): void {
    let entry = this.#waiting.get(id);
    if (!entry) {
      entry = { id, waiting, since: now, agents: new Map(), processed: 0, refusedSinceStart: {}, lastUnusedAt: undefined, lastUsedAt: undefined };
      this.#waiting.set(id, entry);
    }
    entry.waiting = waiting;
    entry.agents = new Map(checks.map((c) => [c.agentId, c]));
    entry.processed += examined.processed;
    for (const [code, n] of Object.entries(examined.refused) as [ReasonCode, number][]) entry.refusedSinceStart[code] = (entry.refusedSinceStart[code] ?? 0) + n;
    if (checks.some((c) => c.firstRefusal !== undefined) || Object.keys(examined.refused).length > 0) entry.lastUnusedAt = now;
    if (examined.placed > 0) entry.lastUsedAt = now;
  }

  /** Every instance of the run spec was placed (or it needs none): the launch attempt is over. */
  placed(id: string): void {
    this.#waiting.delete(id);
  }

  /** The run spec is gone. */
  forget(id: string): void {
    this.#waiting.delete(id);
  }

  /** Ids of the run specs with instances waiting. */
  waitingIds(): Iterable<string> {
    return this.#waiting.keys();
  }

  get(id: string): WaitingRunSpec | undefined {
    return this.#waiting.get(id);
  }

  all(): Iterable<WaitingRunSpec> {
    return this.#waiting.values();
  }
}

/**
 * Marathon's funnel over first refusals, in its reason order: processed starts at the total, each
 * row declines the agents whose first refusal is that reason. Every row is emitted, zeros included.
 */
export function rejectFunnel(total: number, firstRefusals: Iterable<ReasonCode>): FunnelRow[] {
  const declined = new Map<ReasonCode, number>();
  for (const code of firstRefusals) declined.set(code, (declined.get(code) ?? 0) + 1);
  return funnelOf(total, declined);
}

/** The same funnel from counts. */
export function funnelOf(total: number, declined: ReadonlyMap<ReasonCode, number> | Partial<Record<ReasonCode, number>>): FunnelRow[] {
  const get = (code: ReasonCode) => (declined instanceof Map ? (declined.get(code) ?? 0) : ((declined as Partial<Record<ReasonCode, number>>)[code] ?? 0));
  let processed = total;
  return REASON_FUNNEL.map((reason) => {
    const row = { reason, declined: get(reason), processed };
    processed -= row.declined;
    return row;
  });
}

/** The first refusal of a full check, in funnel order. */
export function firstRefusalOf(dimensions: DimensionVerdict[]): ReasonCode | undefined {
  let first: ReasonCode | undefined;
  for (const d of dimensions) {
    if (d.verdict.ok) continue;
    if (first === undefined || REASON_FUNNEL.indexOf(d.verdict.code) < REASON_FUNNEL.indexOf(first)) first = d.verdict.code;
  }
  return first;
}
