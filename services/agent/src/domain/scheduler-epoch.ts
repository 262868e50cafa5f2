/**
 * The scheduler epoch an agent obeys. Schedulers run active/standby; each leader holds a lease
 * with an epoch that only grows within one event log (one cluster database). An agent remembers
 * the log and the highest epoch it has seen (from a registration answer or an accepted command
 * batch) and refuses any batch from an older epoch of that log, so a deposed leader cannot act
 * on agents. Pure.
 */

/** Largest value a protobuf uint64 carries. */
const MAX_EPOCH = 2n ** 64n - 1n;

/** What an agent keeps: the log epochs count in ("" before any scheduler named one) and the highest epoch seen. */
export interface EpochState {
  logId: string;
  epoch: bigint;
}

/** Whether a command batch may run: `raised` when it moved the state on (persist it). */
export type EpochVerdict = { ok: true; raised: boolean } | { ok: false; epoch: bigint; highest: bigint; reason: string };

/**
 * The highest scheduler epoch seen, in one log. Invariant: within a log, `highest` never
 * decreases. Epoch 0 and log "" are what a scheduler without leases sends; they are accepted only
 * while nothing newer has been seen. A registration answer of ANOTHER log starts afresh: a leader
 * answers only after its fenced write of the registration committed, so it speaks for the log the
 * cluster uses now (its database was replaced), and that log's epochs start over.
 */
export class SchedulerEpoch {
  private state: EpochState;

  /** Starts from what an earlier run persisted (else nothing seen). Throws RangeError outside uint64. */
  constructor(initial: EpochState = { logId: "", epoch: 0n }) {
    if (initial.epoch < 0n || initial.epoch > MAX_EPOCH) throw new RangeError(`scheduler epoch ${initial.epoch} is outside uint64`);
    this.state = { ...initial };
  }

  /** The highest epoch seen so far (in `logId`). */
  get highest(): bigint {
    return this.state.epoch;
  }

  /** The log the epochs count in ("" until a scheduler named one). */
  get logId(): string {
    return this.state.logId;
  }

  /** What to persist. */
  snapshot(): EpochState {
    return { ...this.state };
  }

  /** Records a registration answer; true when it changed the state (a newer epoch, or another log). */
  observeRegistration(logId: string, epoch: bigint): boolean {
    if (logId !== "" && logId !== this.state.logId) {
      this.state = { logId, epoch };
      return true;
    }
    return this.observe(epoch);
  }

  /** Records an epoch of the current log; true when it raised the highest. Never lowers it. */
  observe(epoch: bigint): boolean {
    if (epoch <= this.state.epoch) return false;
    this.state = { ...this.state, epoch };
    return true;
  }

  /**
   * Judges a command batch: refused when it names another log than the one known, or an older
   * epoch; accepted otherwise (a batch naming a log while none is known adopts it; an accepted
   * newer epoch raises the highest).
   */
  admit(logId: string, epoch: bigint): EpochVerdict {
    if (logId !== "" && this.state.logId !== "" && logId !== this.state.logId) {
      return { ok: false, epoch, highest: this.state.epoch, reason: `it comes from event log ${logId}, not ${this.state.logId}` };
    }
    if (epoch < this.state.epoch) return { ok: false, epoch, highest: this.state.epoch, reason: `epoch ${this.state.epoch} was seen (a deposed leader)` };
    let raised = this.observe(epoch);
    if (logId !== "" && this.state.logId === "") {
      this.state = { ...this.state, logId };
      raised = true;
    }
    return { ok: true, raised };
  }
}

/** The file form: `<logId> <epoch>` (or just the epoch before any log was named) and a newline. */
export function formatSchedulerEpoch(state: EpochState): string {
  return state.logId === "" ? `${state.epoch}\n` : `${state.logId} ${state.epoch}\n`;
}

/** Reads the file form back; undefined when `text` is not it. */
export function parseSchedulerEpoch(text: string): EpochState | undefined {
  const m = /^(?:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) )?(\d{1,20})$/.exec(text.trim());
  if (!m) return undefined;
  const epoch = BigInt(m[2]!);
  return epoch <= MAX_EPOCH ? { logId: m[1] ?? "", epoch } : undefined;
}
