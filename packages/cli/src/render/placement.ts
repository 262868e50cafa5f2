import { schedulerV1 } from "@gantry/proto";
import { checkLabel } from "./enum-labels.ts";
import { renderKeyValues, renderTable } from "./table.ts";

const { PlacementDimension: D } = schedulerV1;

/** The per-agent table's check columns (the DC/OS debug overview's), in funnel order; MAINTENANCE has none. */
export const CHECK_COLUMNS: ReadonlyArray<readonly [string, schedulerV1.PlacementDimension]> = [D.ROLE, D.CONSTRAINT, D.CPUS, D.MEM, D.DISK, D.GPUS, D.PORTS].map(
  (d) => [checkLabel(d).toLowerCase(), d] as const,
);

/** `✓` when the agent passed the check, `✗` when it was refused, `-` when it was not checked. */
export function verdictMark(dimensions: readonly schedulerV1.DimensionVerdict[], dimension: schedulerV1.PlacementDimension): string {
  const found = dimensions.find((d) => d.dimension === dimension);
  if (!found) return "-";
  return found.ok ? "✓" : "✗";
}

/** The delay line: seconds of backoff left, or none (saying when the backoff is already over). */
function describeDelay(e: schedulerV1.PlacementExplanation): string {
  if (e.delaySecondsLeft > 0) return `${Math.ceil(e.delaySecondsLeft)}s left (HTTP DELETE /v2/queue${e.runSpecId}/delay ends it)`;
  return e.overdue ? "none (the backoff is over)" : "none";
}

/** The offers line: agent checks since the launch attempt began, how many did not fit, and when. */
function describeOffers(e: schedulerV1.PlacementExplanation): string {
  const times = [e.lastUnusedOfferAt && `last unused ${e.lastUnusedOfferAt}`, e.lastUsedOfferAt && `last used ${e.lastUsedOfferAt}`].filter(Boolean);
  return `${e.processedOffers} checked, ${e.unusedOffers} did not fit${times.length > 0 ? `; ${times.join(", ")}` : ""}`;
}

/** A refusal for people: its message with its code, or whichever of them there is. */
function describeRefusal(v: schedulerV1.DimensionVerdict): string {
  if (v.message && v.code) return `${v.message} (${v.code})`;
  return v.message || v.code || "refused";
}

/**
 * `gantry app|pod debug`: why an app's or pod's instances wait. A summary (id and kind, how many
 * wait and since when, the launch delay, the agent checks), then the DC/OS debug overview's
 * per-agent table (HOST, ROLE, CONSTRAINT, CPU, MEM, DISK, GPU, PORT, RECEIVED) with ✓ passed,
 * ✗ refused, `-` not checked (checks stop at the first refusal), and below it every refusal with
 * its message. An agent refused because it is draining has no column: its host reads
 * `<host> (maintenance)` and the refusal is listed. Pure.
 */
export function renderPlacementExplanation(e: schedulerV1.PlacementExplanation): string {
  const summary = renderKeyValues([
    ["id", `${e.runSpecId} (${e.pod ? "pod" : "app"})`],
    ["waiting", e.waiting === 0 ? "nothing: every instance is placed" : `${e.waiting} instance${e.waiting === 1 ? "" : "s"}${e.since ? ` since ${e.since}` : ""}`],
    ["delay", describeDelay(e)],
    ["offers", describeOffers(e)],
  ]);
  if (e.agents.length === 0) return `${summary}\n\nno agent checked yet`;
  const hostOf = (a: schedulerV1.AgentVerdicts) => {
    const host = a.hostname || a.agentId;
    return verdictMark(a.dimensions, D.MAINTENANCE) === "✗" ? `${host} (maintenance)` : host;
  };
  const rows = e.agents.map((a) => [hostOf(a), ...CHECK_COLUMNS.map(([, d]) => verdictMark(a.dimensions, d)), a.checkedAt]);
  const table = renderTable(["host", ...CHECK_COLUMNS.map(([name]) => name), "received"], rows);
  const refusals = e.agents.flatMap((a) => a.dimensions.filter((d) => !d.ok).map((d) => [a.hostname || a.agentId, checkLabel(d.dimension), describeRefusal(d)]));
  const reasons = refusals.length === 0 ? "every agent checked would take an instance" : `why not:\n${renderTable(["host", "check", "reason"], refusals)}`;
  return `${summary}\n\n${table}\n\n${reasons}`;
}
