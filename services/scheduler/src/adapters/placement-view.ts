import { create } from "@bufbuild/protobuf";
import { schedulerV1 } from "@gantry/proto";
import { DIMENSION_OF, renderVerdict, type Dimension } from "../domain/index.ts";
import { funnelOf, rejectFunnel, type WaitingRunSpec } from "../app/placement-explanations.ts";
import type { SchedulerState } from "../app/scheduler-state.ts";
import { toProtoAgent } from "./agent-view.ts";

const { PlacementDimension } = schedulerV1;
const DIMENSIONS: Record<Dimension, schedulerV1.PlacementDimension> = {
  role: PlacementDimension.ROLE,
  constraint: PlacementDimension.CONSTRAINT,
  maintenance: PlacementDimension.MAINTENANCE,
  cpus: PlacementDimension.CPUS,
  mem: PlacementDimension.MEM,
  disk: PlacementDimension.DISK,
  gpus: PlacementDimension.GPUS,
  ports: PlacementDimension.PORTS,
};

/**
 * Why a run spec's instances wait, for the API: per agent, one verdict per dimension (two checks
 * of one dimension, such as class and counted constraints, show the first refusal), messages
 * rendered now; Marathon's funnels; the launch delay left.
 */
export function toPlacementExplanation(state: SchedulerState, waiting: WaitingRunSpec, now: number): schedulerV1.PlacementExplanation {
  const backoff = state.backoff.get(waiting.id);
  const left = backoff ? Math.max(0, (backoff.notBefore - now) / 1000) : 0;
  const checks = [...waiting.agents.values()];
  const iso = (t: number | undefined) => (t === undefined ? "" : new Date(t).toISOString());
  return create(schedulerV1.PlacementExplanationSchema, {
    runSpecId: waiting.id,
    pod: state.runSpecs.get(waiting.id)?.demand.pod ?? false,
    waiting: waiting.waiting,
    since: iso(waiting.since),
    delaySecondsLeft: left,
    overdue: backoff !== undefined && left === 0,
    agents: checks.map((c) => {
      const byDimension = new Map<Dimension, schedulerV1.DimensionVerdict>();
      for (const d of c.dimensions) {
        const known = byDimension.get(d.dimension);
        if (known && !known.ok) continue;
        byDimension.set(
          d.dimension,
          create(schedulerV1.DimensionVerdictSchema, d.verdict.ok
            ? { dimension: DIMENSIONS[d.dimension], ok: true }
            : { dimension: DIMENSIONS[DIMENSION_OF[d.verdict.code]], ok: false, code: d.verdict.code, params: stringParams(d.verdict.params), message: renderVerdict(d.verdict.code, d.verdict.params) }),
        );
      }
      const agent = state.agents.get(c.agentId);
      return create(schedulerV1.AgentVerdictsSchema, {
        agentId: c.agentId,
        hostname: agent?.hostname ?? "",
        dimensions: [...byDimension.values()],
        checkedAt: iso(c.checkedAt),
        fits: c.firstRefusal === undefined,
        ...(agent ? { agent: toProtoAgent(agent, state.ledgerOf(agent.agentId)) } : {}),
      });
    }),
    rejectSummaryLastOffers: rejectFunnel(checks.length, checks.flatMap((c) => (c.firstRefusal ? [c.firstRefusal] : []))).map((r) => ({ reason: r.reason, declined: BigInt(r.declined), processed: BigInt(r.processed) })),
    rejectSummaryLaunchAttempt: funnelOf(waiting.processed, waiting.refusedSinceStart).map((r) => ({ reason: r.reason, declined: BigInt(r.declined), processed: BigInt(r.processed) })),
    processedOffers: BigInt(waiting.processed),
    unusedOffers: BigInt(Object.values(waiting.refusedSinceStart).reduce((a, b) => a + (b ?? 0), 0)),
    lastUnusedOfferAt: iso(waiting.lastUnusedAt),
    lastUsedOfferAt: iso(waiting.lastUsedAt),
  });
}

function stringParams(p: Readonly<Record<string, string | number>>): Record<string, string> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
}

