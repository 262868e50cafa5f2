/**
 * A growable stream of bits, most significant bit first, for the Gorilla chunk codec. Writes and
 * reads take at most 32 bits at a time (64-bit values are two calls); a reader past the end
 * throws rather than inventing zeros.
 */
export class BitWriter {
  private buf: Uint8Array;
  /** Bits written so far. */
  bitLength = 0;

  constructor(initialBytes = 32) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. */
  write(value: number, n: number): void {
    const needed = (this.bitLength + n + 7) >>> 3;
    if (needed > this.buf.length) this.grow(needed);
    let remaining = n;
    while (remaining > 0) {
      const pos = this.bitLength;
      const free = 8 - (pos & 7);
      const take = free < remaining ? free : remaining;
      const bits = (value >>> (remaining - take)) & ((1 << take) - 1);
      this.buf[pos >>> 3]! |= bits << (free - take);
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
    return this.buf.slice(0, (this.bitLength + 7) >>> 3);
  }

  /** Bytes of memory the writer holds now. */
  capacity(): number {
    return this.buf.length;
  }

  /** Shrinks the buffer to what is written (a chunk that will not grow further). */
  trim(): void {
    this.buf = this.bytes();
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, Math.ceil(this.buf.length * 1.5)));
    next.set(this.buf);
    this.buf = next;
  }
}

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
    // A 40-bit window from the byte holding the first bit covers any 32 bits at any offset; bytes
    // past the end read as 0 (never used: the bounds check above). Float arithmetic keeps it exact.
    const b = this.buf;
    const i = pos >>> 3;
    const window = (b[i] ?? 0) * 4294967296 + ((((b[i + 1] ?? 0) << 24) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 8) | (b[i + 4] ?? 0)) >>> 0);
    return Math.floor(window / 2 ** (40 - (pos & 7) - n)) % 2 ** n;
  }

  /** Reads one bit. */
  bit(): boolean {
    const pos = this.pos;
    if (pos >= this.bitLength) throw new RangeError(`bit stream ends at bit ${this.bitLength}, asked for 1 bit at ${pos}`);
    this.pos = pos + 1;
    return ((this.buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1) === 1;
  }
}
