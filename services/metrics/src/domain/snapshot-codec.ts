import { decodeChunk } from "./gorilla-chunk.ts";
import { Series, type Chunk, type SeriesStore } from "./series-store.ts";
import type { SeriesMeta } from "./sample.ts";

/**
 * The binary form of a whole SeriesStore, with the last stream sequence it holds:
 *
 *   "GMS1" u32 headerLen header-JSON {lastSeq, series}
 *   per series: u32 metaLen meta-JSON, f64 lastT, f64 lastV, u8 hasPending [f64 start, sum, count, last],
 *               u32 blocks, per block: u8 tier (0 raw, 1 downsampled, 2 raw head, 3 downsampled head),
 *               f64 minT, f64 maxT, u32 count, u32 len, bytes
 *   "GME1"
 *
 * Blocks are stored as encoded (no re-compression); heads are rebuilt on load by decoding and
 * appending again. A snapshot without its end marker (a torn write) is refused.
 */
const MAGIC = Buffer.from("GMS1");
const END = Buffer.from("GME1");

/** Encodes `store` as snapshot parts (write them in order; one part per series keeps each small). */
export function encodeSnapshot(store: SeriesStore, lastSeq: number): Buffer[] {
  const header = Buffer.from(JSON.stringify({ lastSeq, series: store.stats.series }));
  const parts: Buffer[] = [MAGIC, u32(header.length), header];
  for (const s of store.all()) parts.push(encodeSeries(s));
  parts.push(END);
  return parts;
}

function encodeSeries(s: Series): Buffer {
  const meta = Buffer.from(JSON.stringify(s.meta));
  const blocks: Array<[number, Chunk]> = [];
  for (const c of s.raw) blocks.push([0, c]);
  for (const c of s.down) blocks.push([1, c]);
  if (s.head && s.head.count > 0) blocks.push([2, { minT: s.head.firstT, maxT: s.head.lastT, count: s.head.count, bytes: s.head.bytes() }]);
  if (s.downHead && s.downHead.count > 0) blocks.push([3, { minT: s.downHead.firstT, maxT: s.downHead.lastT, count: s.downHead.count, bytes: s.downHead.bytes() }]);
  let size = 4 + meta.length + 16 + 1 + (s.pending ? 32 : 0) + 4;
  for (const [, c] of blocks) size += 1 + 16 + 8 + c.bytes.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt32LE(meta.length, 0);
  o += meta.copy(b, o);
  o = b.writeDoubleLE(s.lastT, o);
  o = b.writeDoubleLE(s.lastV, o);
  o = b.writeUInt8(s.pending ? 1 : 0, o);
  if (s.pending) for (const v of [s.pending.start, s.pending.sum, s.pending.count, s.pending.last]) o = b.writeDoubleLE(v, o);
  o = b.writeUInt32LE(blocks.length, o);
  for (const [tier, c] of blocks) {
    o = b.writeUInt8(tier, o);
    o = b.writeDoubleLE(c.minT, o);
    o = b.writeDoubleLE(c.maxT, o);
    o = b.writeUInt32LE(c.count, o);
    o = b.writeUInt32LE(c.bytes.length, o);
    o += Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.length).copy(b, o);
  }
  return b;
}

/**
 * Loads a snapshot into an empty `store`; returns the stream sequence it was taken at. Throws an
 * Error naming the problem for a file that is not a complete snapshot.
 */
export function decodeSnapshot(data: Buffer, store: SeriesStore): { lastSeq: number } {
  if (data.length < 12 || !data.subarray(0, 4).equals(MAGIC)) throw new Error("not a metrics snapshot (bad magic)");
  if (!data.subarray(data.length - 4).equals(END)) throw new Error("metrics snapshot is truncated (no end marker)");
  let o = 4;
  const headerLen = data.readUInt32LE(o);
  o += 4;
  const header = JSON.parse(data.subarray(o, o + headerLen).toString()) as { lastSeq: number; series: number };
  o += headerLen;
  const end = data.length - 4;
  while (o < end) {
    const metaLen = data.readUInt32LE(o);
    o += 4;
    const meta = JSON.parse(data.subarray(o, o + metaLen).toString()) as SeriesMeta;
    o += metaLen;
    const s = new Series(meta);
    s.lastT = data.readDoubleLE(o);
    s.lastV = data.readDoubleLE(o + 8);
    o += 16;
    if (data.readUInt8(o++) === 1) {
      s.pending = { start: data.readDoubleLE(o), sum: data.readDoubleLE(o + 8), count: data.readDoubleLE(o + 16), last: data.readDoubleLE(o + 24) };
      o += 32;
    }
    const blocks = data.readUInt32LE(o);
    o += 4;
    for (let i = 0; i < blocks; i++) {
      const tier = data.readUInt8(o);
      const minT = data.readDoubleLE(o + 1);
      const maxT = data.readDoubleLE(o + 9);
      const count = data.readUInt32LE(o + 17);
      const len = data.readUInt32LE(o + 21);
      o += 25;
      const bytes = new Uint8Array(data.subarray(o, o + len));
      o += len;
      if (tier === 0) s.raw.push({ minT, maxT, count, bytes });
      else if (tier === 1) s.down.push({ minT, maxT, count, bytes });
      else {
        const head = store.openBlock();
        decodeChunk(bytes, count, (t, v) => void head.append(t, v));
        if (tier === 2) s.head = head;
        else s.downHead = head;
      }
    }
    store.add(s);
  }
  if (o !== end) throw new Error("metrics snapshot is corrupt (records overrun the end marker)");
  return { lastSeq: header.lastSeq };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}
