import type pg from "pg";
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import copyStreams from "pg-copy-streams";
import type { logsV1 } from "@gantry/proto";
import { LINES_PER_BATCH_LIMIT } from "../domain/log-position.ts";
import type { LogQuery, LogSelection } from "../domain/log-query.ts";
import type { PartitionKeeper } from "./partition-keeper.postgres.ts";

/** A batch as it came off the stream: its sequence and decoded lines. */
export interface IncomingBatch {
  seq: number;
  batch: logsV1.LogBatch;
}

/** What one `storeBatches` call did. */
export interface StoreOutcome {
  /** Lines written. */
  stored: number;
  /** Batches already stored (redeliveries), skipped whole. */
  duplicates: number;
  /** Lines older than the retention horizon, not stored. */
  expired: number;
}

/** One stored line as queries return it. */
export interface StoredLine {
  pos: bigint;
  timeMicros: bigint;
  agentId: string;
  hostname: string;
  appId: string;
  instanceId: string;
  taskId: string;
  container: string;
  stream: string;
  component: string;
  level: number;
  text: string;
}

const COPY_SQL = "COPY log_lines (pos, time, agent_id, hostname, app_id, instance_id, task_id, container, stream, component, level, text) FROM STDIN";

/**
 * The line table: bulk ingest with COPY (one transaction per group of batches, their sequences
 * recorded in `log_batches` in the same transaction: a redelivered batch is skipped, so across
 * crashes and restarts no line is stored twice and, acknowledging only after commit, none is lost)
 * and the range queries of the API.
 */
export class LogStore {
  readonly #pool: pg.Pool;
  readonly #partitions: PartitionKeeper;

  constructor(pool: pg.Pool, partitions: PartitionKeeper) {
    this.#pool = pool;
    this.#partitions = partitions;
  }

  /** Stores batches in one transaction; resolves once committed. Throws when PostgreSQL fails (nothing of the call is stored then). */
  async storeBatches(batches: readonly IncomingBatch[], nowMs = Date.now()): Promise<StoreOutcome> {
    if (batches.length === 0) return { stored: 0, duplicates: 0, expired: 0 };
    const times = new Set<number>();
    for (const { batch } of batches) for (const chunk of batch.chunks) for (const t of chunk.timesUnixMicros) times.add(Math.floor(Number(t) / 60_000_000) * 60_000);
    const keep = await this.#partitions.prepareFor(times, nowMs);
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const fresh = await client.query<{ seq: string }>(
        "INSERT INTO log_batches (seq, lines) SELECT * FROM unnest($1::int8[], $2::int4[]) ON CONFLICT (seq) DO NOTHING RETURNING seq",
        [batches.map((b) => b.seq), batches.map((b) => b.batch.chunks.reduce((n, c) => n + c.texts.length, 0))],
      );
      const freshSeqs = new Set(fresh.rows.map((r) => Number(r.seq)));
      let stored = 0;
      let expired = 0;
      const rows: string[] = [];
      // Lines of one batch mostly share their time: its text and retention verdict are computed once per distinct time.
      let lastMicros = -1n;
      let lastTime = "";
      let lastKept = true;
      for (const { seq, batch } of batches) {
        if (!freshSeqs.has(seq)) continue;
        const agent = esc(batch.agentId);
        const host = esc(batch.hostname);
        // Positions as plain numbers: seq < 2^37 keeps seq * 65536 + index below 2^53.
        const base = seq * LINES_PER_BATCH_LIMIT;
        let index = 0;
        for (const chunk of batch.chunks) {
          const prefix = `${agent}\t${host}\t${esc(chunk.appId)}\t${esc(chunk.instanceId)}\t${esc(chunk.taskId)}\t${esc(chunk.container)}\t${esc(chunk.stream)}\t${esc(chunk.component)}\t`;
          for (let i = 0; i < chunk.texts.length; i++, index++) {
            const micros = chunk.timesUnixMicros[i] ?? 0n;
            if (micros !== lastMicros) {
              lastMicros = micros;
              lastTime = timestampText(micros);
              lastKept = keep(Math.floor(Number(micros) / 60_000_000) * 60_000);
            }
            if (!lastKept) {
              expired++;
              continue;
            }
            rows.push(`${base + index}\t${lastTime}\t${prefix}${chunk.levels[i] ?? 0}\t${esc(chunk.texts[i]!)}\n`);
            stored++;
          }
        }
      }
      if (rows.length > 0) await pipeline(Readable.from(chunked(rows)), client.query(copyStreams.from(COPY_SQL)));
      await client.query("COMMIT");
      return { stored, duplicates: batches.length - freshSeqs.size, expired };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Lines matching a query, oldest first (see LogQuery for after / skipPrev / limit). */
  async query(q: LogQuery): Promise<StoredLine[]> {
    const { where, params } = whereOf(q.selection);
    if (q.skipPrev > 0) {
      if (q.after !== undefined) {
        params.push(String(q.after));
        where.push(`pos <= $${params.length}`);
      }
      params.push(q.skipPrev);
      const { rows } = await this.#pool.query(prepared(`SELECT ${COLUMNS} FROM log_lines WHERE ${where.join(" AND ") || "true"} ORDER BY pos DESC LIMIT $${params.length}`, params));
      return rows.reverse().map(toLine);
    }
    if (q.after !== undefined) {
      params.push(String(q.after));
      where.push(`pos > $${params.length}`);
    }
    params.push(q.limit);
    const { rows } = await this.#pool.query(prepared(`SELECT ${COLUMNS} FROM log_lines WHERE ${where.join(" AND ") || "true"} ORDER BY pos LIMIT $${params.length}`, params));
    return rows.map(toLine);
  }

  /** Lines matching a selection with after < pos ≤ upTo, oldest first, at most `limit` (for follow's stored part). */
  async between(selection: LogSelection, after: bigint | undefined, upTo: bigint, limit: number): Promise<StoredLine[]> {
    const { where, params } = whereOf(selection);
    if (after !== undefined) {
      params.push(String(after));
      where.push(`pos > $${params.length}`);
    }
    params.push(String(upTo), limit);
    const { rows } = await this.#pool.query(prepared(`SELECT ${COLUMNS} FROM log_lines WHERE ${[...where, `pos <= $${params.length - 1}`].join(" AND ")} ORDER BY pos LIMIT $${params.length}`, params));
    return rows.map(toLine);
  }

  /** The app a task's lines belong to, from any stored line of it; undefined when none is stored. */
  async appOfTask(taskId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ app_id: string }>("SELECT app_id FROM log_lines WHERE task_id = $1 AND task_id <> '' ORDER BY pos DESC LIMIT 1", [taskId]);
    return rows[0]?.app_id;
  }

  /** The app of an instance's lines, like appOfTask. */
  async appOfInstance(instanceId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ app_id: string }>("SELECT app_id FROM log_lines WHERE instance_id = $1 LIMIT 1", [instanceId]);
    return rows[0]?.app_id;
  }

  /** Forgets batch sequences stored before `beforeMs` (the stream no longer holds them, so none can be redelivered). */
  async pruneBatchRecords(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#pool.query("DELETE FROM log_batches WHERE stored_at < $1", [new Date(beforeMs)]);
    return rowCount ?? 0;
  }
}

/**
 * A named (prepared) statement: planning a query over every partition and its indexes costs more
 * than running it (≈ 10 ms against ≈ 1 ms for the last 1,000 lines of a task); a connection plans
 * each query shape once, then PostgreSQL prunes partitions at run time. The name is the text's hash.
 */
function prepared(text: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  return { name: `logs_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`, text, values };
}

const COLUMNS = "pos::text AS pos_text, (extract(epoch FROM time) * 1000000)::int8::text AS t, agent_id, hostname, app_id, instance_id, task_id, container, stream, component, level, text";

function toLine(r: Record<string, unknown>): StoredLine {
  return {
    pos: BigInt(r.pos_text as string),
    timeMicros: BigInt(r.t as string),
    agentId: r.agent_id as string,
    hostname: r.hostname as string,
    appId: r.app_id as string,
    instanceId: r.instance_id as string,
    taskId: r.task_id as string,
    container: r.container as string,
    stream: r.stream as string,
    component: r.component as string,
    level: Number(r.level),
    text: r.text as string,
  };
}

/** SQL conditions of a selection. Each id filter also states `<> ''` so the partial indexes apply. */
function whereOf(s: LogSelection): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: unknown, partial = false) => {
    params.push(value);
    where.push(`${column} = $${params.length}`);
    if (partial) where.push(`${column} <> ''`);
  };
  if (s.taskId !== undefined) eq("task_id", s.taskId, true);
  if (s.taskIdPrefix !== undefined) {
    params.push(`${likeEscape(s.taskIdPrefix)}%`);
    where.push(`task_id LIKE $${params.length}`, "task_id <> ''");
  }
  if (s.instanceId !== undefined) eq("instance_id", s.instanceId);
  if (s.appId !== undefined) eq("app_id", s.appId, true);
  if (s.agentId !== undefined) eq("agent_id", s.agentId);
  if (s.component !== undefined) eq("component", s.component, true);
  // A literal (the value is one of LOG_STREAMS): a prepared statement's generic plan can then use the partial index on stream 'log'.
  if (s.stream !== undefined) where.push(`stream = '${s.stream}'`);
  if (s.minLevel !== undefined) {
    params.push(s.minLevel);
    where.push(`level >= $${params.length}`);
  }
  if (s.sinceMicros !== undefined) {
    params.push(timestampText(s.sinceMicros));
    where.push(`time >= $${params.length}::timestamptz`);
  }
  if (s.untilMicros !== undefined) {
    params.push(timestampText(s.untilMicros));
    where.push(`time < $${params.length}::timestamptz`);
  }
  if (s.text !== undefined) {
    params.push(`%${likeEscape(s.text)}%`);
    where.push(`text ILIKE $${params.length}`);
  }
  return { where, params };
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function esc(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r")) : value;
}

/** µs since the epoch as a timestamptz literal with its µs (`2026-11-30T12:00:00.123456Z`). */
function timestampText(micros: bigint): string {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${sub.toString().padStart(6, "0")}Z`;
}

/** Groups rows into ~64 KiB chunks, so the COPY stream is a few writes, not one per line. */
function* chunked(rows: string[]): Generator<string> {
  let buf = "";
  for (const r of rows) {
    buf += r;
    if (buf.length >= 65_536) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}
