import type pg from "pg";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import copyStreams from "pg-copy-streams";
import { linesOfChunk, sourceOf, type LineRun, type LogChunkRecord } from "../domain/log-chunk.ts";
import type { BlockCache } from "../domain/block-cache.ts";
import { unpackBlock, type BlockCodecNumber } from "../domain/line-block.ts";
import { LINES_PER_BATCH_LIMIT } from "../domain/log-position.ts";
import type { LogQuery, LogSelection } from "../domain/log-query.ts";
import { CHUNK_COPY_SQL, chunkCopyData } from "./chunk-copy.postgres.ts";
import type { PartitionKeeper } from "./partition-keeper.postgres.ts";


/** A batch as it came off the stream: its sequence and its checked chunks (domain/log-chunk.ts chunksOfBatch). */
export interface IncomingBatch {
  seq: number;
  chunks: LogChunkRecord[];
}

/** What one `storeBatches` call did. */
export interface StoreOutcome {
  /** Lines written. */
  stored: number;
  /** Batches already stored (redeliveries), skipped whole. */
  duplicates: number;
  /** Lines of chunks whose newest line is older than the retention horizon, not stored. */
  expired: number;
}

/** Chunks fetched per query page at first; each further page of the same query fetches 4× more, up to MAX_PAGE. */
const FIRST_PAGE = 64;
const MAX_PAGE = 4_096;
const NO_POSITION = -1n;
const APPS_OF_TASKS_KEPT = 10_000;
const PAST_EVERY_POSITION = 2n ** 62n;

/**
 * The chunk table (`log_chunks`, one row per chunk of lines; see domain/log-chunk.ts): ingest of
 * checked batches (one binary COPY per group of batches; a redelivered batch's chunks are found
 * by their first position and skipped, so across crashes no line is stored twice and,
 * acknowledging only after commit, none is lost) and the range queries of the API, which read
 * chunks in position order, unpack their blocks and copy the bytes of the lines they return (no
 * string per line; a text filter decodes the lines it checks).
 */
export class LogStore {
  readonly #pool: pg.Pool;
  readonly #partitions: PartitionKeeper;
  readonly #blocks: BlockCache;
  /** Task id → app id, oldest first (the first entry is dropped when full). */
  readonly #appOfTask = new Map<string, string>();

  constructor(pool: pg.Pool, partitions: PartitionKeeper, blocks: BlockCache) {
    this.#pool = pool;
    this.#partitions = partitions;
    this.#blocks = blocks;
  }

  /** Stores batches with one COPY; resolves once committed. Throws when PostgreSQL fails (nothing of the call is stored then). */
  async storeBatches(batches: readonly IncomingBatch[], nowMs = Date.now()): Promise<StoreOutcome> {
    const minuteOf = (c: LogChunkRecord) => Math.floor(Number(c.lastMicros) / 60_000_000) * 60_000;
    const minutes = new Set<number>();
    for (const b of batches) for (const c of b.chunks) minutes.add(minuteOf(c));
    if (minutes.size === 0) return { stored: 0, duplicates: 0, expired: 0 };
    const keep = await this.#partitions.prepareFor(minutes, nowMs);
    const rows: LogChunkRecord[] = [];
    const batchOf = new Map<bigint, number>();
    let expired = 0;
    for (const b of batches) {
      for (const c of b.chunks) {
        if (!keep(minuteOf(c))) {
          expired += c.lineCount;
          continue;
        }
        rows.push(c);
        batchOf.set(c.firstPos, b.seq);
      }
    }
    if (rows.length === 0) return { stored: 0, duplicates: 0, expired };
    // Redelivered chunks are found by their positions and left out; should another ingester store
    // one meanwhile, the unique index fails this COPY and the caller retries (then finds it).
    // With the chunks' last times too (the partition key): only the partitions they land in are probed.
    const { rows: found } = await this.#pool.query<{ fp: string }>(
      prepared(`SELECT first_pos::text AS fp FROM log_chunks WHERE first_pos = ANY($1::int8[]) AND last_time = ANY(${TIMES_OF_MICROS})`, [
        rows.map((c) => String(c.firstPos)),
        rows.map((c) => String(c.lastMicros)),
      ]),
    );
    const already = new Set(found.map((r) => BigInt(r.fp)));
    const fresh = rows.filter((c) => !already.has(c.firstPos));
    if (fresh.length > 0) await this.#copy(fresh);
    let stored = 0;
    const storedBatches = new Set<number>();
    for (const c of fresh) {
      stored += c.lineCount;
      storedBatches.add(batchOf.get(c.firstPos)!);
    }
    const duplicates = new Set([...batchOf.values()].filter((seq) => !storedBatches.has(seq))).size;
    return { stored, duplicates, expired };
  }

  /** Writes chunks with one binary COPY (atomic: all of them or, when it throws, none). */
  async #copy(chunks: readonly LogChunkRecord[]): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await pipeline(Readable.from(chunkCopyData(chunks)), client.query(copyStreams.from(CHUNK_COPY_SQL)));
      client.release();
    } catch (err) {
      client.release(err as Error); // a COPY that failed midway leaves the connection in doubt: not reused
      throw err;
    }
  }

  /** Lines matching a query, in position order (see LogQuery for after / skipPrev / limit). */
  async query(q: LogQuery): Promise<LineRun[]> {
    if (q.skipPrev > 0) return this.#collect(q.selection, { ...(q.after === undefined ? {} : { upTo: q.after }), newestFirst: true }, q.skipPrev);
    return this.#collect(q.selection, q.after === undefined ? {} : { after: q.after }, q.limit);
  }

  /** Lines matching a selection with after < pos ≤ upTo, in position order, at most `limit` (for follow's stored part). */
  async between(selection: LogSelection, after: bigint | undefined, upTo: bigint, limit: number): Promise<LineRun[]> {
    return this.#collect(selection, { ...(after === undefined ? {} : { after }), upTo }, limit);
  }

  /**
   * The app a task's lines belong to, from its newest stored chunk; undefined when none is stored.
   * Remembered once found (a task never changes app): every query by task asks it, for its permission check.
   */
  async appOfTask(taskId: string): Promise<string | undefined> {
    const known = this.#appOfTask.get(taskId);
    if (known !== undefined) return known;
    const { rows } = await this.#pool.query<{ app_id: string }>(prepared("SELECT app_id FROM log_chunks WHERE task_id = $1 AND task_id <> '' ORDER BY first_pos DESC LIMIT 1", [taskId]));
    const app = rows[0]?.app_id;
    if (app !== undefined) {
      if (this.#appOfTask.size >= APPS_OF_TASKS_KEPT) this.#appOfTask.delete(this.#appOfTask.keys().next().value!);
      this.#appOfTask.set(taskId, app);
    }
    return app;
  }

  /** The app of an instance's lines, from its newest stored chunk (not remembered: instance queries are rare). */
  async appOfInstance(instanceId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ app_id: string }>(prepared("SELECT app_id FROM log_chunks WHERE instance_id = $1 AND instance_id <> '' ORDER BY first_pos DESC LIMIT 1", [instanceId]));
    return rows[0]?.app_id;
  }

  /**
   * At most `max` lines matching `selection` within the bounds (after < pos ≤ upTo): the oldest or,
   * with `newestFirst`, the newest, in position order (one run per chunk): pages of chunks in
   * position order (newest first for `newestFirst`), each page cut in SQL to the chunks that hold
   * the lines still wanted (when no line-level filter can drop lines, their line counts say
   * which), so the last 1,000 lines of a task read one or two chunks.
   */
  async #collect(selection: LogSelection, bounds: { after?: bigint; upTo?: bigint; newestFirst?: boolean }, max: number): Promise<LineRun[]> {
    const out: LineRun[] = [];
    let count = 0;
    const { where, params } = whereOf(selection);
    const exact = selection.text === undefined && selection.minLevel === undefined && selection.sinceMicros === undefined && selection.untilMicros === undefined;
    const after = bounds.after ?? NO_POSITION;
    const upTo = bounds.upTo ?? PAST_EVERY_POSITION;
    // A chunk lies inside its batch's sequence: one holding a line after `after` starts above after − 65,536.
    let edge = bounds.newestFirst ? upTo + 1n : after - BigInt(LINES_PER_BATCH_LIMIT);
    const n = params.length;
    const order = bounds.newestFirst ? "DESC" : "";
    const text = `
      SELECT ${COLUMNS}, CASE WHEN first_pos = ANY($${n + 6}::int8[]) THEN NULL ELSE block END AS block FROM (
        SELECT *, sum(line_count) OVER (ORDER BY first_pos ${order}) AS running
          FROM log_chunks
         WHERE ${[...where, bounds.newestFirst ? `first_pos < $${n + 1}` : `first_pos > $${n + 1}`, `first_pos + line_count - 1 > $${n + 2}`, `first_pos <= $${n + 3}`].join(" AND ")}
         ORDER BY first_pos ${order}
         LIMIT $${n + 4}
      ) c
      WHERE running - line_count < $${n + 5}
      ORDER BY first_pos ${order}`;
    for (let page = FIRST_PAGE; count < max; page = Math.min(page * 4, MAX_PAGE)) {
      const wanted = exact ? max - count : MAX_PAGE * LINES_PER_BATCH_LIMIT;
      // Blocks the cache holds are left out of the answer (PostgreSQL then does not even read them).
      const cached = this.#blocks.positionsFor(selection).map(String);
      const { rows } = await this.#pool.query(prepared(text, [...params, String(edge), String(after), String(upTo), page, wanted, cached]));
      const chunks = rows.map(toChunk);
      const leftOut = await this.#blocksLeftOut(chunks);
      for (const chunk of chunks) {
        const block = chunk.data !== NO_DATA ? this.#unpacked(chunk) : leftOut.get(chunk.firstPos);
        // No block: its partition was dropped (retention) after the first statement; its lines are gone.
        const run = block === undefined ? undefined : linesOfChunk(chunk, selection, { ...bounds, max: max - count }, block);
        if (run !== undefined) {
          out.push(run);
          count += run.positions.length;
        }
        edge = chunk.firstPos;
        if (count >= max) break;
      }
      // Fewer chunks than the page and fewer lines than wanted: no chunk is left. (A page cut to
      // the lines wanted may come short when a bound cut its first chunk: the next page goes on.)
      let lines = 0;
      for (const row of rows) lines += row.line_count as number;
      if (rows.length < page && lines < wanted) break;
    }
    // Newest first, chunk by chunk: each run is in position order already.
    return bounds.newestFirst ? out.reverse() : out;
  }

  /** A chunk's block unpacked, and kept in the cache. */
  #unpacked(chunk: LogChunkRecord): Buffer {
    const block = unpackBlock(chunk);
    this.#blocks.set(chunk.firstPos, sourceOf(chunk), block);
    return block;
  }

  /**
   * The blocks of the chunks the answer left out as cached: taken from the cache at once (before
   * any wait, in which other queries may push them out), the few it no longer holds (pushed out
   * while the statement ran) fetched in one statement (by position, and by last time for the
   * partition), unpacked and kept. A chunk whose partition was dropped meanwhile has none.
   */
  async #blocksLeftOut(chunks: readonly LogChunkRecord[]): Promise<Map<bigint, Buffer>> {
    const blocks = new Map<bigint, Buffer>();
    const missing: LogChunkRecord[] = [];
    for (const c of chunks) {
      if (c.data !== NO_DATA) continue;
      const block = this.#blocks.get(c.firstPos);
      if (block === undefined) missing.push(c);
      else blocks.set(c.firstPos, block);
    }
    if (missing.length === 0) return blocks;
    const { rows } = await this.#pool.query(
      prepared(`SELECT first_pos::text AS fp, codec, block FROM log_chunks WHERE first_pos = ANY($1::int8[]) AND last_time = ANY(${TIMES_OF_MICROS})`, [
        missing.map((c) => String(c.firstPos)),
        missing.map((c) => String(c.lastMicros)),
      ]),
    );
    const byPosition = new Map(missing.map((c) => [c.firstPos, c]));
    for (const row of rows) {
      const chunk = byPosition.get(BigInt(row.fp as string))!;
      blocks.set(chunk.firstPos, this.#unpacked({ ...chunk, codec: row.codec as BlockCodecNumber, data: row.block as Buffer }));
    }
    return blocks;
  }
}

/**
 * A named (prepared) statement: planning a query over every partition and its indexes costs more
 * than running it; a connection plans each query shape once, then PostgreSQL prunes partitions
 * at run time. The name is the text's hash.
 */
function prepared(text: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `logs_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`));
  return { name, text, values };
}

/** Statement names by text: a handful of query shapes, hashed once each. */
const statementNames = new Map<string, string>();

/** `$2` (µs since the epoch, int8[]) as timestamptz[]: chunks' last times, the partition key. */
const TIMES_OF_MICROS = "ARRAY(SELECT timestamptz 'epoch' + m * interval '1 microsecond' FROM unnest($2::int8[]) m)";

/** A chunk's columns but its block (left out when cached: see #collect). */
const COLUMNS = `first_pos::text AS fp, line_count, (extract(epoch FROM first_time) * 1000000)::int8::text AS ft, (extract(epoch FROM last_time) * 1000000)::int8::text AS lt,
  agent_id, hostname, app_id, instance_id, task_id, container, stream, component, min_level, max_level, times::text[] AS times, levels, codec`;

/** The data of a chunk read without its block (the cache has it). */
const NO_DATA = new Uint8Array(0);

function toChunk(r: Record<string, unknown>): LogChunkRecord {
  const times = r.times as string[] | null;
  const levels = r.levels as number[] | null;
  return {
    firstPos: BigInt(r.fp as string),
    lineCount: r.line_count as number,
    firstMicros: BigInt(r.ft as string),
    lastMicros: BigInt(r.lt as string),
    agentId: r.agent_id as string,
    hostname: r.hostname as string,
    appId: r.app_id as string,
    instanceId: r.instance_id as string,
    taskId: r.task_id as string,
    container: r.container as string,
    stream: r.stream as string,
    component: r.component as string,
    minLevel: r.min_level as number,
    maxLevel: r.max_level as number,
    ...(times ? { times: times.map(BigInt) } : {}),
    ...(levels ? { levels } : {}),
    codec: r.codec as BlockCodecNumber,
    data: (r.block as Buffer | null) ?? NO_DATA,
  };
}

/** SQL conditions on chunks of a selection (domain/log-chunk.ts chunkMayMatch). Each id filter also states `<> ''` so the partial indexes apply. */
function whereOf(s: LogSelection): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: unknown) => {
    params.push(value);
    where.push(`${column} = $${params.length}`, `${column} <> ''`);
  };
  if (s.taskId !== undefined) eq("task_id", s.taskId);
  if (s.taskIdPrefix !== undefined) {
    params.push(`${likeEscape(s.taskIdPrefix)}%`);
    where.push(`task_id LIKE $${params.length}`, "task_id <> ''");
  }
  if (s.instanceId !== undefined) eq("instance_id", s.instanceId);
  if (s.appId !== undefined) eq("app_id", s.appId);
  if (s.agentId !== undefined) {
    params.push(s.agentId);
    where.push(`agent_id = $${params.length}`);
  }
  if (s.component !== undefined) eq("component", s.component);
  // A literal (the value is one of LOG_STREAMS).
  if (s.stream !== undefined) where.push(`stream = '${s.stream}'`);
  if (s.minLevel !== undefined) {
    params.push(s.minLevel);
    where.push(`max_level >= $${params.length}`);
  }
  if (s.sinceMicros !== undefined) {
    params.push(timestampText(s.sinceMicros));
    where.push(`last_time >= $${params.length}::timestamptz`);
  }
  if (s.untilMicros !== undefined) {
    params.push(timestampText(s.untilMicros));
    where.push(`first_time < $${params.length}::timestamptz`);
  }
  return { where, params };
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** µs since the epoch as a timestamptz literal with its µs (`2026-11-30T12:00:00.123456Z`). */
function timestampText(micros: bigint): string {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${sub.toString().padStart(6, "0")}Z`;
}
