/**
 * The scheduler epoch an agent obeys. Schedulers run active/standby; each leader holds a lease
 * with an epoch that only grows. An agent remembers the highest epoch it has seen (from a
 * registration answer or an accepted command batch) and refuses any batch from an older one,
 * so a deposed leader cannot act on agents. Pure.
 */

/** Largest value a protobuf uint64 carries. */
const MAX_EPOCH = 2n ** 64n - 1n;

/** Whether a command batch may run: `raised` when its epoch is newer than any seen (persist it). */
export type EpochVerdict = { ok: true; raised: boolean } | { ok: false; epoch: bigint; highest: bigint };

/**
 * The highest scheduler epoch seen. Invariant: `highest` never decreases. Epoch 0 is what a
 * scheduler without leases sends; it is accepted only while nothing newer has been seen.
 */
export class SchedulerEpoch {
  private seen: bigint;

  /** Starts from `initial` (the epoch persisted by an earlier run, else 0). Throws RangeError outside uint64. */
  constructor(initial: bigint = 0n) {
    if (initial < 0n || initial > MAX_EPOCH) throw new RangeError(`scheduler epoch ${initial} is outside uint64`);
    this.seen = initial;
  }

  /** The highest epoch seen so far. */
  get highest(): bigint {
    return this.seen;
  }

  /** Records an epoch (from a registration answer); true when it raised the highest. Never lowers it. */
  observe(epoch: bigint): boolean {
    if (epoch <= this.seen) return false;
    this.seen = epoch;
    return true;
  }

  /** Judges a command batch: accepted iff `epoch >= highest`; an accepted newer epoch raises the highest. */
  admit(epoch: bigint): EpochVerdict {
    if (epoch < this.seen) return { ok: false, epoch, highest: this.seen };
    return { ok: true, raised: this.observe(epoch) };
  }
}

/** The file form of an epoch: its decimal digits and a newline. */
export function formatSchedulerEpoch(epoch: bigint): string {
  return `${epoch}\n`;
}

/** Reads the file form back; undefined when `text` is not one uint64 in decimal. */
export function parseSchedulerEpoch(text: string): bigint | undefined {
  const t = text.trim();
  if (!/^\d{1,20}$/.test(t)) return undefined;
  const epoch = BigInt(t);
  return epoch <= MAX_EPOCH ? epoch : undefined;
}
