import { schedulerV1 } from "@gantry/proto";

const { PlacementDimension } = schedulerV1;

/**
 * Marathon's reason for a refusal on each dimension, in the dimensions' order, which is the
 * funnel's. A refusal the scheduler gave no code stands for its dimension's reason.
 */
const DIMENSION_REASONS: ReadonlyArray<readonly [schedulerV1.PlacementDimension, string]> = [
  [PlacementDimension.ROLE, "UnfulfilledRole"],
  [PlacementDimension.CONSTRAINT, "UnfulfilledConstraint"],
  [PlacementDimension.MAINTENANCE, "AgentMaintenance"],
  [PlacementDimension.CPUS, "InsufficientCpus"],
  [PlacementDimension.MEM, "InsufficientMemory"],
  [PlacementDimension.DISK, "InsufficientDisk"],
  [PlacementDimension.GPUS, "InsufficientGpus"],
  [PlacementDimension.PORTS, "InsufficientPorts"],
];
const REASON_OF_DIMENSION = new Map(DIMENSION_REASONS);

/**
 * Marathon's offer-match reasons in `NoOfferMatchReason.reasonFunnel` order: the dimensions'
 * reasons with 1.4's `NoCorrespondingReservationFound` after the constraint (Gantry has no
 * resident tasks, so it is always 0, but 1.4 clients expect the row) and 1.7's
 * `DeclinedScarceResources` last; `AgentMaintenance` stands where 1.6 put it. A summary lists every one.
 */
export const REASON_FUNNEL: readonly string[] = [
  ...DIMENSION_REASONS.slice(0, 2).map(([, reason]) => reason),
  "NoCorrespondingReservationFound",
  ...DIMENSION_REASONS.slice(2).map(([, reason]) => reason),
  "DeclinedScarceResources",
];

/** One row of Marathon's reject summary (`DeclinedOfferStep`). */
export interface MarathonReasonRow {
  reason: string;
  declined: number;
  processed: number;
}

/** A reason's place in the funnel; unknown reasons sort after every known one. */
function funnelIndex(reason: string): number {
  const i = REASON_FUNNEL.indexOf(reason);
  return i < 0 ? REASON_FUNNEL.length : i;
}

/**
 * Marathon's reject summary from the scheduler's rows: every funnel reason in funnel order
 * (zeros included), then any reason Marathon does not know, in the order given. Declined counts
 * are the scheduler's; `processed` is recomputed by the funnel arithmetic (`processed₀` = the
 * largest `processed` given, or the sum of declined when that is larger; `processedᵢ₊₁ =
 * processedᵢ − declinedᵢ`), so rows the scheduler left out do not break the chain. Pure.
 */
export function rejectFunnel(rows: readonly schedulerV1.ReasonCount[]): MarathonReasonRow[] {
  const declined = new Map<string, number>();
  for (const row of rows) declined.set(row.reason, (declined.get(row.reason) ?? 0) + Number(row.declined));
  const unknown = [...declined.keys()].filter((r) => !REASON_FUNNEL.includes(r));
  const total = Math.max(0, ...rows.map((r) => Number(r.processed)), [...declined.values()].reduce((a, b) => a + b, 0));
  let processed = total;
  return [...REASON_FUNNEL, ...unknown].map((reason) => {
    const row = { reason, declined: declined.get(reason) ?? 0, processed };
    processed = Math.max(0, processed - row.declined);
    return row;
  });
}

/**
 * The reasons an agent was refused for, as Marathon names them, in funnel order, each once:
 * the codes of its refused dimensions (a refusal without a code stands for its dimension's
 * reason). Empty when nothing was refused. Pure.
 */
export function refusalReasons(dimensions: readonly schedulerV1.DimensionVerdict[]): string[] {
  const reasons = dimensions.filter((d) => !d.ok).map((d) => d.code || REASON_OF_DIMENSION.get(d.dimension) || "Unknown");
  return [...new Set(reasons)].sort((a, b) => funnelIndex(a) - funnelIndex(b));
}
