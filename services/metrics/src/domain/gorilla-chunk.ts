import { BitReader, BitWriter } from "./bit-stream.ts";
import type { SlotPool } from "./slot-pool.ts";

/**
 * Gorilla compression of one series' samples (Pelkonen et al., VLDB 2015; Prometheus' XOR chunk):
 * timestamps (integer milliseconds) as delta-of-delta in variable-width buckets, values (float64)
 * as the XOR with the previous value, writing only its meaningful bits.
 *
 * Layout: first timestamp (64 bits), first value (64 bits); then per sample
 *   timestamp: dod = 0 → `0`; fits 14 bits → `10`+14; 17 → `110`+17; 20 → `1110`+20; else `1111`+32
 *   value:     xor = 0 → `0`; inside the previous window → `10`+bits; else `11`+5 (leading)+6 (length)+bits
 *
 * Invariants: timestamps strictly increase within a chunk (`append` refuses an older or equal one
 * and one whose delta-of-delta does not fit 32 bits: the caller starts a new chunk); the number of
 * samples is kept beside the bytes, not inside them.
 */

// One scratch view for splitting a float64 into its two 32-bit halves (little-endian hosts: [lo, hi]).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

const TWO32 = 4294967296;

const ctz32 = (x: number): number => (x === 0 ? 32 : 31 - Math.clz32(x & -x));

/** Why `append` refused a sample. */
export type AppendRefusal = "out-of-order" | "duplicate" | "gap-too-large";

/** Encodes samples of one series into one chunk. */
export class GorillaEncoder {
  readonly writer: BitWriter;
  count = 0;
  firstT = 0;
  lastT = 0;
  lastV = 0;
  private prevDelta = 0;
  private prevHi = 0;
  private prevLo = 0;
  private leading = -1;
  private trailing = 0;

  /** An empty chunk of `initialBytes` (it grows as needed), in a slot of `pool` when given one (then `release` it when done). */
  constructor(initialBytes = 32, pool?: SlotPool) {
    this.writer = new BitWriter(initialBytes, pool);
  }

  /** Appends a sample; returns a refusal instead when it cannot be stored in this chunk. */
  append(t: number, v: number): AppendRefusal | undefined {
    const w = this.writer;
    f64[0] = v;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    if (this.count === 0) {
      w.write(Math.floor(t / TWO32), 32);
      w.write(t >>> 0, 32);
      w.write(hi, 32);
      w.write(lo, 32);
      this.firstT = t;
    } else {
      if (t === this.lastT) return "duplicate";
      if (t < this.lastT) return "out-of-order";
      const delta = t - this.lastT;
      const dod = delta - this.prevDelta;
      if (dod === 0) w.write(0, 1);
      else if (dod >= -8192 && dod <= 8191) {
        w.write(0b10, 2);
        w.write(dod & 0x3fff, 14);
      } else if (dod >= -65536 && dod <= 65535) {
        w.write(0b110, 3);
        w.write(dod & 0x1ffff, 17);
      } else if (dod >= -524288 && dod <= 524287) {
        w.write(0b1110, 4);
        w.write(dod & 0xfffff, 20);
      } else if (dod >= -2147483648 && dod <= 2147483647) {
        w.write(0b1111, 4);
        w.write(dod >>> 0, 32);
      } else return "gap-too-large";
      this.prevDelta = delta;
      this.writeValue(hi ^ this.prevHi, lo ^ this.prevLo);
    }
    this.prevHi = hi;
    this.prevLo = lo;
    this.lastT = t;
    this.lastV = v;
    this.count++;
    return undefined;
  }

  /** The encoded bytes (a trimmed copy). */
  bytes(): Uint8Array {
    return this.writer.bytes();
  }

  /** The encoded bytes without a copy, valid until the next append (for decoding the head in place). */
  view(): Uint8Array {
    return this.writer.view();
  }

  /** Gives its pool slot back (see BitWriter.release): the chunk is done with, its bytes copied out or dropped. */
  release(): void {
    this.writer.release();
  }

  private writeValue(xh: number, xl: number): void {
    const w = this.writer;
    xh >>>= 0;
    xl >>>= 0;
    if (xh === 0 && xl === 0) {
      w.write(0, 1);
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading > 31) leading = 31; // 5 bits
    if (this.leading >= 0 && leading >= this.leading && trailing >= this.trailing) {
      w.write(0b10, 2);
      writeMeaningful(w, xh, xl, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    const length = 64 - leading - trailing;
    w.write(0b11, 2);
    w.write(leading, 5);
    w.write(length & 63, 6); // 64 is written as 0
    writeMeaningful(w, xh, xl, trailing, length);
    this.leading = leading;
    this.trailing = trailing;
  }
}

function writeMeaningful(w: BitWriter, xh: number, xl: number, shift: number, count: number): void {
  let sh: number;
  let sl: number;
  if (shift === 0) {
    sh = xh;
    sl = xl;
  } else if (shift >= 32) {
    sh = 0;
    sl = xh >>> (shift - 32);
  } else {
    sl = ((xl >>> shift) | (xh << (32 - shift))) >>> 0;
    sh = xh >>> shift;
  }
  if (count > 32) {
    w.write(sh, count - 32);
    w.write(sl, 32);
  } else w.write(sl, count);
}

/**
 * Decodes `count` samples of a chunk, calling `visit(t, v)` for each in order (downsampling and
 * snapshot loads; queries use `decodeChunkInto`). Throws a RangeError when the bytes end early (a
 * corrupt chunk), before visiting any.
 */
export function decodeChunk(bytes: Uint8Array, count: number, visit: (t: number, v: number) => void): void {
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  decodeChunkInto(bytes, count, timestamps, values, 0);
  for (let i = 0; i < count; i++) visit(timestamps[i]!, values[i]!);
}

/**
 * Decodes the `count` samples of a chunk into `timestamps` and `values` from index `at` (both must
 * have room: a typed array drops writes past its end). Throws a RangeError when the bytes end
 * early (a corrupt chunk). The query path: samples go straight into the answer's arrays, with no
 * call and no boxed number per sample.
 */
export function decodeChunkInto(bytes: Uint8Array, count: number, timestamps: Float64Array, values: Float64Array, at: number): void {
  if (count === 0) return;
  const r = new BitReader(bytes);
  let t = r.read(32) * TWO32 + r.read(32);
  let hi = r.read(32);
  let lo = r.read(32);
  u32[HI] = hi;
  u32[LO] = lo;
  timestamps[at] = t;
  values[at] = f64[0]!;
  let delta = 0;
  let leading = 0;
  let trailing = 0;
  for (let i = 1; i < count; i++) {
    let dod: number;
    if (!r.bit()) dod = 0;
    else if (!r.bit()) dod = signed(r.read(14), 14);
    else if (!r.bit()) dod = signed(r.read(17), 17);
    else if (!r.bit()) dod = signed(r.read(20), 20);
    else dod = r.read(32) | 0;
    delta += dod;
    t += delta;
    if (r.bit()) {
      if (r.bit()) {
        leading = r.read(5);
        const length = r.read(6) || 64;
        trailing = 64 - leading - length;
      }
      const count2 = 64 - leading - trailing;
      let sh = 0;
      let sl: number;
      if (count2 > 32) {
        sh = r.read(count2 - 32);
        sl = r.read(32);
      } else sl = r.read(count2);
      let xh: number;
      let xl: number;
      if (trailing === 0) {
        xh = sh;
        xl = sl;
      } else if (trailing >= 32) {
        xh = (sl << (trailing - 32)) >>> 0;
        xl = 0;
      } else {
        xh = ((sh << trailing) | (sl >>> (32 - trailing))) >>> 0;
        xl = (sl << trailing) >>> 0;
      }
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    u32[HI] = hi;
    u32[LO] = lo;
    timestamps[at + i] = t;
    values[at + i] = f64[0]!;
  }
}

function signed(v: number, bits: number): number {
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}
