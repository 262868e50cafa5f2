import type { logsV1 } from "@gantry/proto";
import { BLOCK_CODEC, blockOfTexts, countLines, linesOfBlock, packBlock, unpackBlock, type BlockCodecNumber } from "./line-block.ts";
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
 * One line as queries and follow return it: what differs per line, and its source (the chunk's
 * metadata, one object shared by every line of the chunk, so answers send each source once).
 */
export interface StoredLine {
  pos: bigint;
  timeMicros: bigint;
  level: number;
  text: string;
  source: LineSource;
}

/** The chunks of a batch, or why the batch cannot be stored (it is parked then). */
export type BatchChunks = { ok: true; chunks: LogChunkRecord[]; lines: number } | { ok: false; reason: string };

/**
 * The chunks of the batch with stream sequence `seq`, checked: a block must unpack to exactly
 * `line_count` lines, times and levels must have one entry per line or one for all (times within
 * 1970 … 2286, levels ≤ 32,767), ids hold no NUL (PostgreSQL text cannot), and a batch holds
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
    if (times.min < 0n || times.max > MAX_MICROS) return bad(`a time is outside 1970 … 2286 (µs ${times.min} … ${times.max})`);
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

/** The latest line time stored, µs (2286-11-20): beyond, a time is a shipper's bug, not a log line's. */
const MAX_MICROS = 9_999_999_999_999_999n;
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
function sourceOf(c: LineSource): LineSource {
  return { agentId: c.agentId, hostname: c.hostname, appId: c.appId, instanceId: c.instanceId, taskId: c.taskId, container: c.container, stream: c.stream, component: c.component };
}

/**
 * The lines of a chunk that match `selection` (metadata, level, time, text) with `after < pos ≤
 * upTo`, in position order, or the newest first when `newestFirst`; at most `max`. Decodes only
 * the lines inside the position bounds. Throws when the block does not unpack (never for a chunk
 * chunksOfBatch checked).
 */
export function linesOfChunk(chunk: LogChunkRecord, selection: LogSelection, bounds: { after?: bigint; upTo?: bigint; newestFirst?: boolean; max: number }): StoredLine[] {
  let from = 0;
  let to = chunk.lineCount;
  if (bounds.after !== undefined && bounds.after >= chunk.firstPos) from = Math.min(to, Number(bounds.after - chunk.firstPos) + 1);
  if (bounds.upTo !== undefined && bounds.upTo < chunk.firstPos + BigInt(to)) to = Math.max(from, Number(bounds.upTo - chunk.firstPos) + 1);
  const out: StoredLine[] = [];
  if (from >= to || bounds.max <= 0) return out;
  // Without a per-line filter, only the lines that will be returned are decoded.
  const s = selection;
  const perLine = s.text !== undefined || (s.minLevel !== undefined && chunk.minLevel < s.minLevel) || (s.sinceMicros !== undefined && chunk.firstMicros < s.sinceMicros) || (s.untilMicros !== undefined && chunk.lastMicros >= s.untilMicros);
  if (!perLine) {
    if (to - from > bounds.max) {
      if (bounds.newestFirst) from = to - bounds.max;
      else to = from + bounds.max;
    }
  }
  const texts = linesOfBlock(unpackBlock(chunk), chunk.lineCount, from, to);
  const source = sourceOf(chunk);
  const line = (i: number): StoredLine => ({
    pos: chunk.firstPos + BigInt(i),
    timeMicros: chunk.times ? chunk.times[i]! : chunk.firstMicros,
    level: chunk.levels ? chunk.levels[i]! : chunk.minLevel,
    text: texts[i - from]!,
    source,
  });
  if (bounds.newestFirst) {
    for (let i = to - 1; i >= from && out.length < bounds.max; i--) {
      const l = line(i);
      if (!perLine || matchesSelection(selection, l)) out.push(l);
    }
  } else {
    for (let i = from; i < to && out.length < bounds.max; i++) {
      const l = line(i);
      if (!perLine || matchesSelection(selection, l)) out.push(l);
    }
  }
  return out;
}
