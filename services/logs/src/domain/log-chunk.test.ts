import assert from "node:assert/strict";
import { test } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { BLOCK_CODEC, blockOfTexts, countLines, linesOfBlock, MAX_BLOCK_BYTES, packBlock, unpackBlock } from "./line-block.ts";
import { chunkMayMatch, chunkPager, chunksOfBatch, linesOfChunk, type LineRun, type LogChunkRecord } from "./log-chunk.ts";
import { positionOf } from "./log-position.ts";

const block = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join(""));

test("codec numbers are gantry.logs.v1.BlockCodec's", () => {
  assert.equal(BLOCK_CODEC.plain, logsV1.BlockCodec.PLAIN);
  assert.equal(BLOCK_CODEC.zstd, logsV1.BlockCodec.ZSTD);
});

test("a block packs (small ones plain, others Zstandard) and unpacks to the same lines", () => {
  const small = packBlock(block(["a", "b"]));
  assert.equal(small.codec, BLOCK_CODEC.plain);
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} héllo`);
  const big = packBlock(block(lines));
  assert.equal(big.codec, BLOCK_CODEC.zstd);
  assert.ok(big.data.length < block(lines).length / 3, "log text compresses");
  const back = unpackBlock(big);
  assert.equal(countLines(back), 500);
  assert.deepEqual(linesOfBlock(back, 500), lines);
  assert.throws(() => unpackBlock({ codec: 7, data: new Uint8Array() }), /unknown block codec 7/);
  assert.throws(() => unpackBlock({ codec: BLOCK_CODEC.zstd, data: Buffer.from("not zstd") }));
});

test("any range of a block's lines decodes, from either end, empty lines included", () => {
  const lines = ["", "one", "", "three", "four", ""];
  const b = block(lines);
  for (let from = 0; from <= lines.length; from++) {
    for (let to = from; to <= lines.length; to++) assert.deepEqual(linesOfBlock(b, lines.length, from, to), lines.slice(from, to), `[${from}, ${to})`);
  }
  assert.equal(countLines(Buffer.from("a\nb")), -1, "a block ends with a newline");
  assert.equal(countLines(Buffer.alloc(0)), 0);
});

test("texts become a block with a line break inside a text kept as ␤ (line count and positions hold)", () => {
  assert.deepEqual(linesOfBlock(blockOfTexts(["a", "b\nc", ""]), 3), ["a", "b\u2424c", ""]);
});

const batchOf = (chunks: MessageInitShape<typeof logsV1.LogChunkSchema>[]) => create(logsV1.LogBatchSchema, { agentId: "ag", hostname: "h", chunks });

test("a batch's chunks get consecutive positions, its metadata, time and level ranges", () => {
  const packed = packBlock(block(["x", "y", "z"]));
  const r = chunksOfBatch(9, batchOf([
    { taskId: "t1", appId: "/a", stream: "stdout", timesUnixMicros: [5n], block: packed.data, blockCodec: packed.codec, lineCount: 3 },
    { taskId: "t2", stream: "stdout", timesUnixMicros: [1n], texts: [] },
    { component: "scheduler", stream: "log", timesUnixMicros: [30n, 10n], levels: [30, 50], texts: ["p", "q"] },
  ]));
  assert.ok(r.ok);
  assert.equal(r.lines, 5);
  assert.deepEqual(r.chunks.map((c) => [c.firstPos, c.lineCount, c.firstMicros, c.lastMicros, c.minLevel, c.maxLevel, c.times, c.levels]), [
    [positionOf(9, 0), 3, 5n, 5n, 0, 0, undefined, undefined],
    [positionOf(9, 3), 2, 10n, 30n, 30, 50, [30n, 10n], [30, 50]],
  ], "the empty chunk is left out");
  assert.equal(r.chunks[0]!.agentId, "ag");
  assert.deepEqual(r.chunks[0]!.data, packed.data, "a block is kept as it came");
});

test("a batch whose chunks do not hold what they say is refused with the reason", () => {
  const packed = packBlock(block(["x", "y"]));
  const reason = (chunks: MessageInitShape<typeof logsV1.LogChunkSchema>[]) => {
    const r = chunksOfBatch(1, batchOf(chunks));
    assert.ok(!r.ok);
    return r.reason;
  };
  assert.match(reason([{ timesUnixMicros: [1n], block: packed.data, blockCodec: packed.codec, lineCount: 3 }]), /chunk 0: block holds 2 lines, line_count says 3/);
  assert.match(reason([{ timesUnixMicros: [1n], block: Buffer.from("x\ny"), blockCodec: logsV1.BlockCodec.PLAIN, lineCount: 2 }]), /does not end with a newline/);
  assert.match(reason([{ timesUnixMicros: [1n], block: Buffer.from("junk"), blockCodec: logsV1.BlockCodec.ZSTD, lineCount: 1 }]), /does not unpack/);
  // A small block that would unpack past MAX_BLOCK_BYTES (a decompression bomb) is refused, not unpacked.
  const bomb = packBlock(Buffer.alloc(MAX_BLOCK_BYTES + 1, 10));
  assert.ok(bomb.data.length < 64 * 1024, "the bomb is small on the wire");
  assert.match(reason([{ timesUnixMicros: [1n], block: bomb.data, blockCodec: bomb.codec, lineCount: MAX_BLOCK_BYTES + 1 }]), /does not unpack/);
  assert.match(reason([{ timesUnixMicros: [1n], block: packed.data, blockCodec: 9 as logsV1.BlockCodec, lineCount: 2 }]), /unknown block codec 9/);
  assert.match(reason([{ timesUnixMicros: [1n, 2n, 3n], texts: ["a", "b"] }]), /3 times for 2 lines/);
  assert.match(reason([{ timesUnixMicros: [], texts: ["a"] }]), /0 times for 1 lines/);
  assert.match(reason([{ timesUnixMicros: [1n], levels: [1, 2, 3], texts: ["a", "b"] }]), /3 levels for 2 lines/);
  assert.match(reason([{ timesUnixMicros: [-1n], texts: ["a"] }]), /a time is outside 1970/);
  assert.match(reason([{ timesUnixMicros: [1n, 10n ** 19n], texts: ["a", "b"] }]), /a time is outside 1970/);
  assert.match(reason([{ timesUnixMicros: [2n ** 53n], texts: ["a"] }]), /a time is outside 1970 … 2255/, "answers carry times as float64s");
  assert.equal(chunksOfBatch(1, create(logsV1.LogBatchSchema, { chunks: [{ timesUnixMicros: [2n ** 53n - 1n], texts: ["a"] }] })).ok, true);
  assert.match(reason([{ timesUnixMicros: [1n], levels: [40_000], texts: ["a"] }]), /level 40000 is above 32767/);
  assert.match(reason([{ timesUnixMicros: [1n], taskId: "t\0", texts: ["a"] }]), /an id holds a NUL/);
  const huge = packBlock(Buffer.alloc(65_536, 10));
  assert.match(reason([{ timesUnixMicros: [1n], block: huge.data, blockCodec: huge.codec, lineCount: 65_536 }]), /more than 65535 lines/);
});

function chunk(lines: string[], extra: Partial<LogChunkRecord> = {}): LogChunkRecord {
  const packed = packBlock(block(lines));
  return { firstPos: positionOf(4, 10), lineCount: lines.length, firstMicros: 100n, lastMicros: 100n, agentId: "ag", hostname: "h", appId: "/a", instanceId: "i", taskId: "t", container: "", stream: "stdout", component: "", minLevel: 0, maxLevel: 0, codec: packed.codec, data: packed.data, ...extra };
}

/** A run's lines as [text, position, time, level], from its columns and its texts' bytes. */
const linesOf = (run: LineRun | undefined) => {
  if (run === undefined) return [];
  const texts = Buffer.concat(run.texts).toString("utf8").split("\n").slice(0, -1);
  assert.deepEqual([run.positions.length, run.times.length, run.levels.length], [texts.length, texts.length, texts.length], "one entry per line in every column");
  return texts.map((text, i) => [text, run.positions[i]!, run.times[i]!, run.levels[i]!] as const);
};

test("a chunk's lines within position bounds, the oldest or the newest, at most max, in position order", () => {
  const c = chunk(["l0", "l1", "l2", "l3", "l4"]);
  const texts = (bounds: Parameters<typeof linesOfChunk>[2]) => linesOf(linesOfChunk(c, {}, bounds)).map((l) => l[0]);
  assert.deepEqual(texts({ max: 10 }), ["l0", "l1", "l2", "l3", "l4"]);
  assert.deepEqual(texts({ max: 2 }), ["l0", "l1"]);
  assert.deepEqual(texts({ max: 2, newestFirst: true }), ["l3", "l4"]);
  assert.deepEqual(texts({ after: c.firstPos + 1n, max: 10 }), ["l2", "l3", "l4"]);
  assert.deepEqual(texts({ upTo: c.firstPos + 2n, max: 10, newestFirst: true }), ["l0", "l1", "l2"]);
  assert.deepEqual(texts({ after: c.firstPos, upTo: c.firstPos + 2n, max: 10 }), ["l1", "l2"]);
  assert.equal(linesOfChunk(c, {}, { after: c.firstPos + 4n, max: 10 }), undefined);
  assert.equal(linesOfChunk(c, {}, { after: c.firstPos - 100n, upTo: c.firstPos - 1n, max: 10 }), undefined);
  const run = linesOfChunk(c, {}, { after: c.firstPos + 1n, max: 2 })!;
  assert.deepEqual(linesOf(run), [["l2", Number(c.firstPos) + 2, 100, 0], ["l3", Number(c.firstPos) + 3, 100, 0]]);
  assert.equal(run.source.taskId, "t");
  assert.equal(run.texts.length, 1, "consecutive lines: one slice of the block");
  const far = chunk(["a", "b"], { firstPos: 2n ** 53n - 2n });
  assert.deepEqual(linesOf(linesOfChunk(far, {}, { after: far.firstPos, max: 10 })).map((l) => l[1]), [2 ** 53 - 1], "positions exact up to 2^53 − 1");
  assert.throws(() => linesOfChunk(chunk(["a", "b", "c"], { firstPos: 2n ** 53n - 2n }), {}, { max: 10 }), /past 2\^53/, "never a rounded position");
});

test("lines are filtered one by one only where the chunk's ranges do not settle it; their bytes are the block's", () => {
  const c = chunk(["start", "Boom", "end", "bóom again"], { stream: "log", component: "x", firstMicros: 10n, lastMicros: 40n, times: [10n, 20n, 30n, 40n], minLevel: 30, maxLevel: 50, levels: [30, 50, 40, 30] });
  const texts = (s: Parameters<typeof linesOfChunk>[1], newestFirst = false, max = 10) => linesOf(linesOfChunk(c, s, { max, newestFirst })).map((l) => l[0]);
  assert.deepEqual(texts({ minLevel: 40 }), ["Boom", "end"]);
  assert.deepEqual(texts({ minLevel: 40 }, true, 1), ["end"]);
  assert.deepEqual(texts({ sinceMicros: 20n }), ["Boom", "end", "bóom again"]);
  assert.deepEqual(texts({ untilMicros: 30n }), ["start", "Boom"]);
  assert.deepEqual(texts({ text: "BOOM" }), ["Boom"]);
  assert.deepEqual(texts({ text: "óom" }), ["bóom again"]);
  assert.equal(linesOfChunk(c, { text: "nothing" }, { max: 10 }), undefined);
  assert.deepEqual(linesOf(linesOfChunk(c, { minLevel: 40 }, { max: 1 })), [["Boom", Number(c.firstPos) + 1, 20, 50]]);
  assert.equal(linesOfChunk(c, { minLevel: 40 }, { max: 10 })!.texts.length, 1, "consecutive matches: one slice");
  assert.equal(linesOfChunk(c, { text: "o" }, { max: 10 })!.texts.length, 2, "Boom and bóom again, not end: two slices");
});

test("a chunk read a page at a time: every matching line once, in order, the block scanned once however many pages", () => {
  const lines = Array.from({ length: 3_000 }, (_, i) => (i % 2 === 0 ? `even ${i}` : `odd ${i}`));
  const c = chunk(lines);
  const after = c.firstPos + 9n;
  for (const [selection, matches] of [[{}, () => true], [{ text: "EVEN" }, (i: number) => i % 2 === 0]] as const) {
    const expected = lines.flatMap((text, i) => (i > 9 && matches(i) ? [`${text}@${i}`] : []));
    // The block, counting the newlines looked for (each indexOf or lastIndexOf call finds one).
    let scans = 0;
    const block = unpackBlock(c);
    const counted = Object.assign(block, {
      indexOf: (...args: Parameters<Buffer["indexOf"]>) => (scans++, Buffer.prototype.indexOf.apply(block, args)),
      lastIndexOf: (...args: Parameters<Buffer["lastIndexOf"]>) => (scans++, Buffer.prototype.lastIndexOf.apply(block, args)),
    });
    const next = chunkPager(c, selection, after, counted);
    const got: string[] = [];
    let pages = 0;
    for (let run = next(7); run !== undefined; run = next(7)) {
      assert.ok(run.positions.length <= 7);
      got.push(...linesOf(run).map(([text, position]) => `${text}@${position - Number(c.firstPos)}`));
      pages++;
    }
    assert.deepEqual(got, expected, JSON.stringify(selection));
    assert.equal(pages, Math.ceil(expected.length / 7));
    // Finding where line 10 starts (11 newlines from the start), then one newline per line examined.
    assert.ok(scans <= lines.length + pages, `${scans} newline scans for ${lines.length} lines in ${pages} pages`);
  }
  assert.equal(chunkPager(c, {}, c.firstPos + 2_999n)(10), undefined, "nothing after the last line");
  assert.equal(chunkPager(c, { text: "nothing" }, undefined)(10), undefined);
});

test("a chunk may match a selection when its metadata does and its ranges meet the selection's", () => {
  const c = chunk(["x"], { firstMicros: 10n, lastMicros: 30n, minLevel: 30, maxLevel: 40 });
  assert.ok(chunkMayMatch({ taskId: "t", appId: "/a", agentId: "ag", instanceId: "i", stream: "stdout" }, c));
  assert.ok(chunkMayMatch({ taskIdPrefix: "t", minLevel: 40, sinceMicros: 30n, untilMicros: 11n }, c));
  for (const s of [{ taskId: "u" }, { taskIdPrefix: "u" }, { appId: "/b" }, { agentId: "b" }, { instanceId: "j" }, { component: "c" }, { stream: "stderr" as const }, { minLevel: 50 }, { sinceMicros: 31n }, { untilMicros: 10n }]) {
    assert.ok(!chunkMayMatch(s, c), JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
  }
});
