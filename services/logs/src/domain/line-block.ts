import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";

/**
 * A line block: the lines of one chunk as one byte string, each line's UTF-8 bytes followed by
 * `\n` (a line never holds a `\n`). Task output is cut from its file straight into this form (no
 * string per line), shipped and stored as it is, compressed; a reader decodes only the lines it
 * needs. Codec numbers are `gantry.logs.v1.BlockCodec`'s.
 */
export const BLOCK_CODEC = { plain: 1, zstd: 2 } as const;
export type BlockCodecNumber = (typeof BLOCK_CODEC)[keyof typeof BLOCK_CODEC];

/** An encoded block: what travels in a LogChunk and what a chunk row stores. */
export interface PackedBlock {
  codec: BlockCodecNumber;
  data: Uint8Array;
}

/** Smaller blocks stay plain: compressing them costs more than the bytes it saves. */
const COMPRESS_FROM_BYTES = 256;
/** Zstandard level 1: ~10× on typical log text at several hundred MB/s (higher levels gain little on logs). */
const ZSTD_LEVEL = 1;
/** The most bytes a block may unpack to (a chunk is at most a few MiB; more is a corrupt or hostile one). */
export const MAX_BLOCK_BYTES = 32 * 1024 * 1024;

/** The byte that ends each line of a block (`\n`). */
export const NEWLINE = 10;
/** What a line break inside a text (a component's multi-line message) is stored as: U+2424 SYMBOL FOR NEWLINE. */
export const NEWLINE_STAND_IN = "\u2424";

/** Packs a block: Zstandard when big enough to gain, else plain. */
export function packBlock(block: Uint8Array): PackedBlock {
  if (block.length < COMPRESS_FROM_BYTES) return { codec: BLOCK_CODEC.plain, data: block };
  return { codec: BLOCK_CODEC.zstd, data: zstdCompressSync(block, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } }) };
}

/** The block a packed one holds. Throws on an unknown codec, corrupt data or a block above MAX_BLOCK_BYTES. */
export function unpackBlock(packed: { codec: number; data: Uint8Array }): Buffer {
  if (packed.codec === BLOCK_CODEC.plain) return Buffer.from(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength);
  if (packed.codec === BLOCK_CODEC.zstd) return zstdDecompressSync(packed.data, { maxOutputLength: MAX_BLOCK_BYTES });
  throw new Error(`unknown block codec ${packed.codec}`);
}

/** The block of `texts` (a `\n` inside a text becomes NEWLINE_STAND_IN, so line count and positions hold). */
export function blockOfTexts(texts: readonly string[]): Buffer {
  let joined = "";
  for (const t of texts) joined += (t.includes("\n") ? t.replaceAll("\n", NEWLINE_STAND_IN) : t) + "\n";
  return Buffer.from(joined, "utf8");
}

/** How many lines a block holds (its `\n`s); a block that does not end with one is malformed: -1. */
export function countLines(block: Uint8Array): number {
  if (block.length === 0) return 0;
  if (block[block.length - 1] !== NEWLINE) return -1;
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  let n = 0;
  for (let at = buf.indexOf(NEWLINE); at >= 0; at = buf.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/**
 * The bytes of lines [from, to) of a block of `count` lines (from < to): `[start, end)`, the last
 * line's `\n` included, so `block.subarray(start, end)` is itself a block of those lines. Only
 * the `\n`s between the nearer end of the block and the range are scanned: the last 1,000 lines
 * of a 2,400-line chunk scan 1,000.
 */
export function spanOfLines(block: Buffer, count: number, from: number, to: number): { start: number; end: number } {
  // The `\n` before byte `at` (-1: none). Buffer.lastIndexOf reads a negative offset from the end: never pass one.
  const newlineBefore = (at: number) => (at <= 0 ? -1 : block.lastIndexOf(NEWLINE, at - 1));
  let start: number;
  let end: number; // the `\n` ending line to - 1
  if (count - to < from) {
    // Nearer the end: walk back from the last line's `\n`.
    end = block.length - 1;
    for (let i = count; i > to; i--) end = newlineBefore(end);
    start = end;
    for (let i = to; i > from; i--) start = newlineBefore(start);
    start++;
  } else {
    start = 0;
    for (let i = 0; i < from; i++) start = block.indexOf(NEWLINE, start) + 1;
    end = start - 1;
    for (let i = from; i < to; i++) end = block.indexOf(NEWLINE, end + 1);
  }
  return { start, end: end + 1 };
}

/**
 * Lines [from, to) of a block of `count` lines, decoded (invalid UTF-8 becomes U+FFFD). Only the
 * bytes of those lines are decoded. Used by tests only (services answer with the block's bytes,
 * never a string per line): they read what was shipped or stored with it.
 */
export function linesOfBlock(block: Buffer, count: number, from = 0, to = count): string[] {
  if (from >= to) return [];
  const { start, end } = from === 0 && to === count ? { start: 0, end: block.length } : spanOfLines(block, count, from, to);
  return block.toString("utf8", start, end - 1).split("\n");
}
