import { renderConstraintRefusal } from "./constraints/constraint-check.ts";

/**
 * Why an agent cannot take an instance: stable reason codes (Marathon's names where Marathon has
 * one), counted and shown as /v2/queue reasons, with the parameters that explain them. Messages
 * are rendered only when read (`renderVerdict`), never on the placement path.
 */
export type ReasonCode =
  | "UnfulfilledRole"
  | "UnfulfilledConstraint"
  | "AgentMaintenance"
  | "InsufficientCpus"
  | "InsufficientMemory"
  | "InsufficientDisk"
  | "InsufficientGpus"
  | "InsufficientPorts"
  | "DeclinedScarceResources";

/** Marathon's reject funnel order (`NoOfferMatchReason.reasonFunnel`, with 1.6's and 1.7's additions). */
export const REASON_FUNNEL: readonly ReasonCode[] = [
  "UnfulfilledRole",
  "UnfulfilledConstraint",
  "AgentMaintenance",
  "InsufficientCpus",
  "InsufficientMemory",
  "InsufficientDisk",
  "InsufficientGpus",
  "InsufficientPorts",
  "DeclinedScarceResources",
];

/** The dimension each check judges: one ✓/✗ column of `gantry app debug`. */
export type Dimension = "role" | "constraint" | "maintenance" | "cpus" | "mem" | "disk" | "gpus" | "ports";

/** The dimension a reason belongs to. */
export const DIMENSION_OF: Readonly<Record<ReasonCode, Dimension>> = {
  UnfulfilledRole: "role",
  UnfulfilledConstraint: "constraint",
  AgentMaintenance: "maintenance",
  InsufficientCpus: "cpus",
  InsufficientMemory: "mem",
  InsufficientDisk: "disk",
  InsufficientGpus: "gpus",
  InsufficientPorts: "ports",
  DeclinedScarceResources: "gpus",
};

/** Parameters of a refusal (what was needed, what was found). */
export type VerdictParams = Readonly<Record<string, string | number>>;

/** The outcome of one check on one agent: accepted, or refused with a code and its parameters. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly code: ReasonCode; readonly params: VerdictParams };

/** The accepting verdict. */
export const ACCEPT: Verdict = Object.freeze({ ok: true });

/** A refusing verdict. */
export function refuse(code: ReasonCode, params: VerdictParams = {}): Verdict {
  return { ok: false, code, params };
}

/** A refusal in words, for people. */
export function renderVerdict(code: ReasonCode, p: VerdictParams): string {
  switch (code) {
    case "UnfulfilledRole":
      return `offers roles [${p.offered}], the app accepts [${p.accepted}]`;
    case "UnfulfilledConstraint":
      return renderConstraintRefusal(p);
    case "AgentMaintenance":
      return `agent is draining${p.reason ? ` (${p.reason})` : ""}: it takes no new instances`;
    case "InsufficientCpus":
      return `needs ${p.needed} cpus, ${p.free} free`;
    case "InsufficientMemory":
      return `needs ${p.needed} MB mem, ${p.free} MB free`;
    case "InsufficientDisk":
      return `needs ${p.needed} MB disk, ${p.free} MB free`;
    case "InsufficientGpus":
      return `needs ${p.needed} gpus, ${p.free} free`;
    case "InsufficientPorts":
      return `needs host ports ${p.requested}: ${p.problem}`;
    case "DeclinedScarceResources":
      return `keeps its ${p.gpus} GPUs for instances that need GPUs`;
  }
}
