import { matchesSource, type LineSource, type LogSelection } from "./log-query.ts";

interface Entry {
  sourceKey: string;
  block: Buffer;
}

interface SourceEntries {
  source: LineSource;
  positions: Set<bigint>;
}

/** Positions a query names as cached, at most: the statement's array parameter stays small. */
const MAX_NAMED = 256;

/**
 * Unpacked line blocks of recently read chunks, by the chunk's first position, within a byte
 * budget; the least recently used go first. A chunk never changes once stored (retention drops
 * whole partitions, and a query asks only for chunks its own statement still found), so an entry
 * is never stale. A query names the cached chunks of its selection's sources and PostgreSQL
 * leaves their blocks out of the answer: reading the same chunks again (a task's last lines asked
 * for again, a dashboard polling) costs neither the transfer of the packed block (node-postgres
 * hands a bytea over as a hex string) nor its unpacking, the allocations behind the service's
 * full collections and with them its slowest answers.
 */
export class BlockCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<bigint, Entry>();
  /** Kept positions by source (the sources a selection takes are found without a pass over every block). */
  readonly #bySource = new Map<string, SourceEntries>();
  #bytes = 0;

  /** A cache of at most `maxBytes` of unpacked blocks (0: keeps nothing). */
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`block cache size must be a whole number of bytes ≥ 0 (got ${maxBytes})`);
    this.#maxBytes = maxBytes;
  }

  /** The unpacked block of the chunk at `firstPos`, if kept (it becomes the most recently used). */
  get(firstPos: bigint): Buffer | undefined {
    const entry = this.#entries.get(firstPos);
    if (entry === undefined) return undefined;
    this.#entries.delete(firstPos);
    this.#entries.set(firstPos, entry);
    return entry.block;
  }

  /**
   * Keeps `block` as the unpacked block of the chunk at `firstPos` (of `source`), dropping the
   * least recently used beyond the budget (a block larger than the budget, or smaller than 1 KiB,
   * is not kept). A block that is a small view of a larger buffer (an unpacking's output buffer)
   * is kept as a copy of its own size, so small chunks do not each hold on to a large buffer.
   */
  set(firstPos: bigint, source: LineSource, block: Buffer): void {
    this.#drop(firstPos);
    // A small block costs little to read again, and its entry more than its bytes.
    if (block.byteLength < MIN_CACHED_BYTES) return;
    const copied = block.buffer.byteLength > block.byteLength + COPY_SLACK;
    // Refused before any copy is made: with a budget of 0 every block read would be copied for nothing.
    if ((copied ? block.byteLength : block.buffer.byteLength) + ENTRY_OVERHEAD > this.#maxBytes) return;
    const kept = copied ? ownCopy(block) : block;
    const sourceKey = keyOf(source);
    this.#entries.set(firstPos, { sourceKey, block: kept });
    let entries = this.#bySource.get(sourceKey);
    if (entries === undefined) this.#bySource.set(sourceKey, (entries = { source, positions: new Set() }));
    entries.positions.add(firstPos);
    this.#bytes += costOf(kept);
    for (const pos of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#drop(pos);
    }
  }

  /** First positions of kept chunks whose source a selection takes, in order (the newest 256 at most). */
  positionsFor(selection: LogSelection): bigint[] {
    const found: number[] = [];
    for (const { source, positions } of this.#bySource.values()) {
      if (!matchesSource(selection, source)) continue;
      // Positions are below 2^53 (domain/log-position.ts): numbers sort far faster than bigints.
      for (const p of positions) found.push(Number(p));
    }
    const sorted = Float64Array.from(found).sort();
    return Array.from(sorted.subarray(Math.max(0, sorted.length - MAX_NAMED)), (p) => BigInt(p));
  }

  /** Bytes and blocks kept. */
  get stats(): { bytes: number; blocks: number } {
    return { bytes: this.#bytes, blocks: this.#entries.size };
  }

  #drop(firstPos: bigint): void {
    const entry = this.#entries.get(firstPos);
    if (entry === undefined) return;
    this.#entries.delete(firstPos);
    this.#bytes -= costOf(entry.block);
    const entries = this.#bySource.get(entry.sourceKey)!;
    entries.positions.delete(firstPos);
    if (entries.positions.size === 0) this.#bySource.delete(entry.sourceKey);
  }
}

/** How much larger than a block its buffer may be before the block is kept as a copy. */
const COPY_SLACK = 4_096;

/** Blocks smaller than this are not kept (component lines come in chunks of a few hundred bytes). */
const MIN_CACHED_BYTES = 1_024;

/** What an entry costs beside its buffer: the entry, its map slots, its buffer's object. */
const ENTRY_OVERHEAD = 256;

/** The memory an entry keeps alive: all of its block's ArrayBuffer, and the entry itself. */
function costOf(block: Buffer): number {
  return block.buffer.byteLength + ENTRY_OVERHEAD;
}

/** A copy in a buffer of exactly its size (not a slice of Node's shared pool). */
function ownCopy(block: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(block.byteLength);
  block.copy(copy);
  return copy;
}

function keyOf(s: LineSource): string {
  return [s.agentId, s.hostname, s.appId, s.instanceId, s.taskId, s.container, s.stream, s.component].join("\u0000");
}
