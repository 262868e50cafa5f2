/**
 * Stable reason codes for why an agent cannot take a task. They are counted, queried and
 * shown as Marathon's /v2/queue reasons (InsufficientCpus, InsufficientMemory, …).
 */
export type RejectionCode =
  | "AgentInactive"
  | "UnmatchedRole"
  | "InsufficientCpus"
  | "InsufficientMemory"
  | "InsufficientDisk"
  | "InsufficientGpus";

/** The outcome of one check on one agent: accepted, or rejected with a code and a rendered message. */
export type Verdict = { ok: true } | { ok: false; code: RejectionCode; message: string };

/** The accepting verdict. */
export const ACCEPT: Verdict = Object.freeze({ ok: true });

/** A rejecting verdict. */
export function reject(code: RejectionCode, message: string): Verdict {
  return { ok: false, code, message };
}
