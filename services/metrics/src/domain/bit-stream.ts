import type { SlotPool } from "./slot-pool.ts";

/**
 * A growable stream of bits, most significant bit first, for the Gorilla chunk codec. Writes and
 * reads take at most 32 bits at a time (64-bit values are two calls); a reader past the end
 * throws rather than inventing zeros.
 */
export class BitWriter {
  /** The bytes: a slot of a shared slab (from `base`), or the writer's own once it outgrew the slot. */
  private buf: Uint8Array;
  private base = 0;
  private cap: number;
  private pool: SlotPool | undefined;
  private slot = -1;
  /** Bits written so far. */
  bitLength = 0;

  /** A writer of `initialBytes`, in a slot of `pool` when one is given and the slot is large enough. */
  constructor(initialBytes = 32, pool?: SlotPool) {
    if (pool && initialBytes <= pool.slotBytes) {
      this.pool = pool;
      this.slot = pool.take();
      this.buf = pool.slab(this.slot);
      this.base = pool.offset(this.slot);
      this.cap = pool.slotBytes;
    } else {
      this.buf = new Uint8Array(initialBytes);
      this.cap = initialBytes;
    }
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. */
  write(value: number, n: number): void {
    const needed = (this.bitLength + n + 7) >>> 3;
    if (needed > this.cap) this.grow(needed);
    const buf = this.buf;
    const base = this.base;
    let remaining = n;
    while (remaining > 0) {
      const pos = this.bitLength;
      const free = 8 - (pos & 7);
      const take = free < remaining ? free : remaining;
      const bits = (value >>> (remaining - take)) & ((1 << take) - 1);
      buf[base + (pos >>> 3)]! |= bits << (free - take);
      this.bitLength = pos + take;
      remaining -= take;
    }
  }

  /** Appends one bit. */
  bit(on: boolean): void {
    this.write(on ? 1 : 0, 1);
  }

  /** The bytes written so far (a copy trimmed to length). */
  bytes(): Uint8Array {
    return this.buf.slice(this.base, this.base + ((this.bitLength + 7) >>> 3));
  }

  /** The bytes written so far, without a copy: valid until the next write or `release`. */
  view(): Uint8Array {
    return this.buf.subarray(this.base, this.base + ((this.bitLength + 7) >>> 3));
  }

  /** Bytes of memory the writer holds now. */
  capacity(): number {
    return this.cap;
  }

  /**
   * Gives the pool slot back (a writer of its own buffer has nothing to give); the writer is empty
   * after. Call it when the block is closed (its bytes copied out) or dropped, or the slot leaks.
   */
  release(): void {
    this.own(EMPTY);
    this.bitLength = 0;
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, Math.ceil(this.cap * 1.5)));
    next.set(this.buf.subarray(this.base, this.base + this.cap));
    this.own(next);
  }

  /** Switches to a buffer of the writer's own, giving back the slot if it had one. */
  private own(buf: Uint8Array): void {
    if (this.pool) {
      this.pool.give(this.slot);
      this.pool = undefined;
      this.slot = -1;
    }
    this.buf = buf;
    this.base = 0;
    this.cap = buf.length;
  }
}

const EMPTY = new Uint8Array(0);

/** Reads what a BitWriter wrote. Throws a RangeError when asked for bits past `bitLength`. */
export class BitReader {
  private pos = 0;
  private readonly buf: Uint8Array;
  private readonly bitLength: number;

  constructor(buf: Uint8Array, bitLength = buf.length * 8) {
    this.buf = buf;
    this.bitLength = bitLength;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned number. */
  read(n: number): number {
    const pos = this.pos;
    if (pos + n > this.bitLength) throw new RangeError(`bit stream ends at bit ${this.bitLength}, asked for ${n} bits at ${pos}`);
    this.pos = pos + n;
    if (n === 0) return 0;
    // The 32 bits from `pos`: the big-endian word at its byte shifted left by the bit offset, the
    // next byte's high bits below. Integer shifts only (the hot loop of every range query); bytes
    // past the end read as 0 (never used: the bounds check above), without indexing past the array.
    const b = this.buf;
    const i = pos >>> 3;
    const off = pos & 7;
    let word: number;
    if (i + 4 < b.length) word = ((b[i]! << (24 + off)) | (b[i + 1]! << (16 + off)) | (b[i + 2]! << (8 + off)) | (b[i + 3]! << off) | (b[i + 4]! >>> (8 - off))) >>> 0;
    else word = this.tailWord(i, off);
    return n === 32 ? word : word >>> (32 - n);
  }

  /** The 32 bits from byte `i`, bit `off`, near the end of the buffer (missing bytes read as 0). */
  private tailWord(i: number, off: number): number {
    const b = this.buf;
    let word = 0;
    for (let k = 0; k < 5; k++) word = word * 256 + (i + k < b.length ? b[i + k]! : 0);
    return Math.floor(word / 2 ** (8 - off)) % 4294967296;
  }

  /** Reads one bit. */
  bit(): boolean {
    const pos = this.pos;
    if (pos >= this.bitLength) throw new RangeError(`bit stream ends at bit ${this.bitLength}, asked for 1 bit at ${pos}`);
    this.pos = pos + 1;
    return ((this.buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1) === 1;
  }
}
