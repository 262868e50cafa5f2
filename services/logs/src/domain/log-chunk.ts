import type { logsV1 } from "@gantry/proto";
import { BLOCK_CODEC, blockOfTexts, countLines, NEWLINE, packBlock, spanOfLines, unpackBlock, type BlockCodecNumber } from "./line-block.ts";
import { LINES_PER_BATCH_LIMIT, positionOf } from "./log-position.ts";
import { matchesSelection, matchesSource, type LineSource, type LogSelection } from "./log-query.ts";

/**
 * A chunk: consecutive lines of one source (a task's stream, or a component) from one batch, with
 * the metadata every line shares, stored as one row of `log_chunks`. Its lines have consecutive
 * positions `firstPos … firstPos + lineCount - 1`, all inside the batch's sequence, so chunks
 * never interleave: ordering chunks by `firstPos` orders every line.
 */
export interface LogChunkRecord extends LineSource {
  firstPos: bigint;
  lineCount: number;
  /** Earliest and latest line time, µs since the epoch. */
  firstMicros: bigint;
  lastMicros: bigint;
  minLevel: number;
  maxLevel: number;
  /** Each line's time when they differ; undefined: every line has `firstMicros`. */
  times?: bigint[];
  /** Each line's level when they differ; undefined: every line has `minLevel`. */
  levels?: number[];
  codec: BlockCodecNumber;
  /** The packed line block (see line-block.ts). */
  data: Uint8Array;
}

/**
 * Lines of one chunk as queries and follow return them, in position order, as columns: their
 * texts as bytes of the chunk's block (one slice when the lines are consecutive, as without a
 * line-level filter; else a slice per run of matching lines), and each line's position, time and
 * level as plain numbers (positions and times are below 2^53). `source` is the chunk's metadata,
 * one object per run, so answers send each source once. No object or string per line.
 */
export interface LineRun {
  source: LineSource;
  /** The lines' texts, each line's UTF-8 followed by `\n`, in order (a line-block's bytes, in pieces). */
  texts: Uint8Array[];
  positions: number[];
  times: number[];
  levels: number[];
}

/** How many lines runs hold. */
export function lineCountOf(runs: readonly LineRun[]): number {
  let n = 0;
  for (const r of runs) n += r.positions.length;
  return n;
}

/** The position of the last line of runs (in position order); undefined when they hold none. */
export function lastPositionOf(runs: readonly LineRun[]): bigint | undefined {
  for (let i = runs.length - 1; i >= 0; i--) {
    const p = runs[i]!.positions;
    if (p.length > 0) return BigInt(p[p.length - 1]!);
  }
  return undefined;
}

/** The largest whole number a float64 holds exactly: answers carry positions and times as float64s. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The chunks of a batch, or why the batch cannot be stored (it is parked then). */
export type BatchChunks = { ok: true; chunks: LogChunkRecord[]; lines: number } | { ok: false; reason: string };

/**
 * The chunks of the batch with stream sequence `seq`, checked: a block must unpack to exactly
 * `line_count` lines, times and levels must have one entry per line or one for all (times within
 * 1970 … 2255, levels ≤ 32,767), ids hold no NUL (PostgreSQL text cannot), and a batch holds
 * fewer than 65,536 lines (its positions): what passes can always be stored. A block chunk keeps its packed bytes as they
 * came; a `texts` chunk (older shippers, services' own lines) is packed here. Chunks without lines
 * are left out.
 */
export function chunksOfBatch(seq: number, batch: logsV1.LogBatch): BatchChunks {
  const chunks: LogChunkRecord[] = [];
  let index = 0;
  for (const [n, c] of batch.chunks.entries()) {
    const bad = (why: string): BatchChunks => ({ ok: false, reason: `chunk ${n}: ${why}` });
    let packed: { codec: BlockCodecNumber; data: Uint8Array };
    let lineCount: number;
    if (c.blockCodec === 0) {
      lineCount = c.texts.length;
      packed = lineCount === 0 ? { codec: BLOCK_CODEC.plain, data: new Uint8Array() } : packBlock(blockOfTexts(c.texts));
    } else {
      lineCount = c.lineCount;
      if (c.blockCodec !== BLOCK_CODEC.plain && c.blockCodec !== BLOCK_CODEC.zstd) return bad(`unknown block codec ${c.blockCodec}`);
      let found: number;
      try {
        found = countLines(unpackBlock({ codec: c.blockCodec, data: c.block }));
      } catch (err) {
        return bad(`block does not unpack: ${(err as Error).message}`);
      }
      if (found !== lineCount) return bad(found < 0 ? "block does not end with a newline" : `block holds ${found} lines, line_count says ${lineCount}`);
      packed = { codec: c.blockCodec, data: c.block };
    }
    if (lineCount === 0) continue;
    if (c.timesUnixMicros.length !== 1 && c.timesUnixMicros.length !== lineCount) return bad(`${c.timesUnixMicros.length} times for ${lineCount} lines`);
    if (c.levels.length > 1 && c.levels.length !== lineCount) return bad(`${c.levels.length} levels for ${lineCount} lines`);
    if (index + lineCount >= LINES_PER_BATCH_LIMIT) return bad(`the batch holds more than ${LINES_PER_BATCH_LIMIT - 1} lines`);
    const times = spread(c.timesUnixMicros);
    const levels = c.levels.length > 0 ? spread(c.levels) : { min: 0, max: 0, differ: false };
    if (times.min < 0n || times.max > MAX_MICROS) return bad(`a time is outside 1970 … 2255 (µs ${times.min} … ${times.max})`);
    if (levels.max > MAX_LEVEL) return bad(`level ${levels.max} is above ${MAX_LEVEL}`);
    const source = [batch.agentId, batch.hostname, c.appId, c.instanceId, c.taskId, c.container, c.stream, c.component];
    if (source.some((text) => text.includes("\0"))) return bad("an id holds a NUL character");
    chunks.push({
      firstPos: positionOf(seq, index),
      lineCount,
      firstMicros: times.min,
      lastMicros: times.max,
      agentId: batch.agentId,
      hostname: batch.hostname,
      appId: c.appId,
      instanceId: c.instanceId,
      taskId: c.taskId,
      container: c.container,
      stream: c.stream,
      component: c.component,
      minLevel: levels.min,
      maxLevel: levels.max,
      ...(times.differ ? { times: c.timesUnixMicros } : {}),
      ...(levels.differ ? { levels: c.levels } : {}),
      codec: packed.codec,
      data: packed.data,
    });
    index += lineCount;
  }
  return { ok: true, chunks, lines: index };
}

/**
 * The latest line time stored, µs (2^53 − 1, 2255-06-05): beyond, a time is a shipper's bug, not
 * a log line's; below, answers carry it exactly as a float64.
 */
const MAX_MICROS = MAX_EXACT;
/** Levels are stored as smallint. */
const MAX_LEVEL = 32_767;

function spread<T extends number | bigint>(values: readonly T[]): { min: T; max: T; differ: boolean } {
  let min = values[0]!;
  let max = min;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, differ: min !== max };
}

/**
 * Whether some line of a chunk may match a selection: its metadata matches and its level and time
 * ranges meet the selection's (what the SQL of a stored chunk checks; the lines are checked by
 * linesOfChunk).
 */
export function chunkMayMatch(s: LogSelection, c: LogChunkRecord): boolean {
  if (!matchesSource(s, c)) return false;
  if (s.minLevel !== undefined && c.maxLevel < s.minLevel) return false;
  if (s.sinceMicros !== undefined && c.lastMicros < s.sinceMicros) return false;
  if (s.untilMicros !== undefined && c.firstMicros >= s.untilMicros) return false;
  return true;
}

/** A chunk's source as an object of its own (the lines keep it, not the chunk and its block). */
export function sourceOf(c: LineSource): LineSource {
  return { agentId: c.agentId, hostname: c.hostname, appId: c.appId, instanceId: c.instanceId, taskId: c.taskId, container: c.container, stream: c.stream, component: c.component };
}

/**
 * The lines of a chunk that match `selection` (metadata, level, time, text) with `after < pos ≤
 * upTo`, at most `max`: the oldest such lines or, with `newestFirst`, the newest; either way as one
 * run in position order (undefined when none). Without a line-level filter the run's texts are one
 * slice of the block; with one, lines are checked one by one, the oldest first stopping at the
 * `max`-th match (a text filter decodes each line it checks). `block` is the chunk's unpacked
 * block, when the caller has it already. Throws when the block does not unpack (never for a chunk
 * chunksOfBatch checked), and rather than answer a rounded position when one reaches 2^53 (a
 * stream sequence of 2^37, ≈ 137 billion batches).
 */
export function linesOfChunk(chunk: LogChunkRecord, selection: LogSelection, bounds: { after?: bigint; upTo?: bigint; newestFirst?: boolean; max: number }, block?: Buffer): LineRun | undefined {
  const range = linesInBounds(chunk, bounds);
  if (range === undefined || bounds.max <= 0) return undefined;
  checkExact(chunk);
  const lines = block ?? unpackBlock(chunk);
  const s = selection;
  const perLine = checksEachLine(s, chunk);
  const source = sourceOf(chunk);
  const to = range.to;
  let from = range.from;
  if (!bounds.newestFirst) return scanForward(chunk, s, perLine, source, lines, from, spanOfLines(lines, chunk.lineCount, from, from + 1).start, to, bounds.max).run;
  if (!perLine && to - from > bounds.max) from = to - bounds.max;
  const run: LineRun = { source, texts: [], positions: [], times: [], levels: [] };
  const span = spanOfLines(lines, chunk.lineCount, from, to);
  if (!perLine) {
    run.texts.push(lines.subarray(span.start, span.end));
    addLines(run, chunk, from, to);
    return run;
  }
  // Where each line in the bounds starts (entry to - from: past the last one's `\n`).
  const starts = new Array<number>(to - from + 1);
  starts[0] = span.start;
  for (let k = 1; k <= to - from; k++) starts[k] = lines.indexOf(NEWLINE, starts[k - 1]!) + 1;
  const chosen: number[] = [];
  for (let i = to - 1; i >= from && chosen.length < bounds.max; i--) if (lineMatches(s, chunk, source, i, lines, starts[i - from]!, starts[i - from + 1]! - 1)) chosen.push(i);
  chosen.reverse();
  if (chosen.length === 0) return undefined;
  const slices = new MatchedSlices(lines, run.texts);
  for (const i of chosen) {
    addLine(run, chunk, i);
    slices.add(starts[i - from]!, starts[i - from + 1]!);
  }
  slices.flush();
  return run;
}

/**
 * A chunk's lines that match `selection` after position `after`, read a page at a time (follow
 * pages a live batch of up to 65,535 lines): each call returns the next run of at most `max` of
 * them, in position order, or undefined when none is left. Each call's scan starts at the byte
 * where the previous one stopped, so a call costs the lines it examines and the whole chunk one
 * pass over its block, however many pages. Throws as linesOfChunk does.
 */
export function chunkPager(chunk: LogChunkRecord, selection: LogSelection, after: bigint | undefined, block?: Buffer): (max: number) => LineRun | undefined {
  const range = linesInBounds(chunk, after === undefined ? {} : { after });
  if (range === undefined) return () => undefined;
  checkExact(chunk);
  const perLine = checksEachLine(selection, chunk);
  const source = sourceOf(chunk);
  let lines = block;
  let line = range.from;
  let byte: number | undefined; // where line `line` starts in `lines`
  return (max) => {
    if (line >= range.to || max <= 0) return undefined;
    lines ??= unpackBlock(chunk);
    byte ??= spanOfLines(lines, chunk.lineCount, line, line + 1).start;
    const scan = scanForward(chunk, selection, perLine, source, lines, line, byte, range.to, max);
    line = scan.line;
    byte = scan.byte;
    return scan.run;
  };
}

/** The chunk's lines [from, to) within `after < pos ≤ upTo`; undefined when none is. */
function linesInBounds(chunk: LogChunkRecord, bounds: { after?: bigint; upTo?: bigint }): { from: number; to: number } | undefined {
  let from = 0;
  let to = chunk.lineCount;
  if (bounds.after !== undefined && bounds.after >= chunk.firstPos) from = Math.min(to, Number(bounds.after - chunk.firstPos) + 1);
  if (bounds.upTo !== undefined && bounds.upTo < chunk.firstPos + BigInt(to)) to = Math.max(from, Number(bounds.upTo - chunk.firstPos) + 1);
  return from < to ? { from, to } : undefined;
}

function checkExact(chunk: LogChunkRecord): void {
  if (chunk.firstPos + BigInt(chunk.lineCount - 1) > MAX_EXACT) throw new Error(`position ${chunk.firstPos} is past 2^53: answers carry positions as float64s`);
}

/** Whether the chunk's lines must be checked one by one: its ranges do not settle the selection's level, time or text. */
function checksEachLine(s: LogSelection, chunk: LogChunkRecord): boolean {
  return s.text !== undefined || (s.minLevel !== undefined && chunk.minLevel < s.minLevel) || (s.sinceMicros !== undefined && chunk.firstMicros < s.sinceMicros) || (s.untilMicros !== undefined && chunk.lastMicros >= s.untilMicros);
}

/** Adds lines [from, to) of the chunk to the run's columns. */
function addLines(run: LineRun, chunk: LogChunkRecord, from: number, to: number): void {
  const firstPos = Number(chunk.firstPos);
  const firstTime = Number(chunk.firstMicros);
  for (let i = from; i < to; i++) {
    run.positions.push(firstPos + i);
    run.times.push(chunk.times ? Number(chunk.times[i]!) : firstTime);
    run.levels.push(chunk.levels ? chunk.levels[i]! : chunk.minLevel);
  }
}

const addLine = (run: LineRun, chunk: LogChunkRecord, i: number) => addLines(run, chunk, i, i + 1);

/** Whether line `i`, bytes [start, newline) of the block, matches (its text is decoded only for a text filter). */
function lineMatches(s: LogSelection, chunk: LogChunkRecord, source: LineSource, i: number, lines: Buffer, start: number, newline: number): boolean {
  const text = s.text === undefined ? "" : lines.toString("utf8", start, newline);
  return matchesSelection(s, { source, level: chunk.levels ? chunk.levels[i]! : chunk.minLevel, timeMicros: chunk.times ? chunk.times[i]! : chunk.firstMicros, text });
}

/**
 * The oldest lines of [from, to) that match, at most `max`, as a run (undefined when none), line
 * `from` starting at byte `byte`; and where the scan stopped: the line after the last one it
 * examined and the byte it starts at. Only the lines examined are scanned: one `indexOf` each.
 */
function scanForward(chunk: LogChunkRecord, s: LogSelection, perLine: boolean, source: LineSource, lines: Buffer, from: number, byte: number, to: number, max: number): { run: LineRun | undefined; line: number; byte: number } {
  const run: LineRun = { source, texts: [], positions: [], times: [], levels: [] };
  let at = byte;
  let i = from;
  if (!perLine) {
    const end = Math.min(to, from + max);
    addLines(run, chunk, from, end);
    for (; i < end; i++) at = lines.indexOf(NEWLINE, at) + 1;
    run.texts.push(lines.subarray(byte, at));
    return { run, line: i, byte: at };
  }
  const slices = new MatchedSlices(lines, run.texts);
  for (; i < to && run.positions.length < max; i++) {
    const newline = lines.indexOf(NEWLINE, at);
    if (lineMatches(s, chunk, source, i, lines, at, newline)) {
      addLine(run, chunk, i);
      slices.add(at, newline + 1);
    }
    at = newline + 1;
  }
  slices.flush();
  return { run: run.positions.length > 0 ? run : undefined, line: i, byte: at };
}

/** The texts of a run's matched lines as slices of the block: one slice per stretch of consecutive lines (nothing allocated per line). */
class MatchedSlices {
  #start = -1;
  #end = -1;

  readonly #block: Buffer;
  readonly #into: Uint8Array[];

  constructor(block: Buffer, into: Uint8Array[]) {
    this.#block = block;
    this.#into = into;
  }

  /** Adds a line's bytes [start, end) (its "\n" included), to the current slice when they follow it. */
  add(start: number, end: number): void {
    if (start !== this.#end) {
      this.flush();
      this.#start = start;
    }
    this.#end = end;
  }

  /** Ends the current slice. */
  flush(): void {
    if (this.#start >= 0) this.#into.push(this.#block.subarray(this.#start, this.#end));
    this.#start = this.#end = -1;
  }
}
