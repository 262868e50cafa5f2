import { matchesSource, type LineSource, type LogSelection } from "./log-query.ts";

interface Entry {
  source: LineSource;
  block: Buffer;
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
   * Keeps `block` as the unpacked block of the chunk at `firstPos` (of `source`), counted as all
   * the memory it holds on to, dropping the least recently used beyond the budget (a block larger
   * than the budget is not kept).
   */
  set(firstPos: bigint, source: LineSource, block: Buffer): void {
    const old = this.#entries.get(firstPos);
    if (old !== undefined) {
      this.#entries.delete(firstPos);
      this.#bytes -= heldBytes(old.block);
    }
    if (heldBytes(block) > this.#maxBytes) return;
    this.#entries.set(firstPos, { source, block });
    this.#bytes += heldBytes(block);
    for (const [pos, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(pos);
      this.#bytes -= heldBytes(e.block);
    }
  }

  /** First positions of kept chunks whose source a selection takes (the most recently used, at most 256). */
  positionsFor(selection: LogSelection): bigint[] {
    const found: bigint[] = [];
    for (const [pos, e] of this.#entries) if (matchesSource(selection, e.source)) found.push(pos);
    return found.length > MAX_NAMED ? found.slice(-MAX_NAMED) : found;
  }

  /** Bytes and blocks kept. */
  get stats(): { bytes: number; blocks: number } {
    return { bytes: this.#bytes, blocks: this.#entries.size };
  }
}

/** The memory a buffer keeps alive: all of its ArrayBuffer (an unpacked block may be a view of a larger output buffer). */
function heldBytes(block: Buffer): number {
  return block.buffer.byteLength;
}
