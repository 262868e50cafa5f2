import type pg from "pg";
import { GantryError } from "../errors/index.ts";
import { APPEND_SQL, STREAM_VERSIONS_SQL } from "./append.sql.ts";
import type { AppendManyResult, ExpectedVersion, StreamAppend, StreamConflict } from "./append-result.ts";
import { EVENTS_STREAM_VERSION_CONSTRAINT } from "./migrations.ts";
import { assertEventType, streamTypeOf } from "./stream-id.ts";

/** Something that runs a query: a pool (autocommit) or a client inside a transaction. */
type Queryable = Pick<pg.ClientBase, "query">;

interface CompiledAppend {
  values: [string[], string[], number[], number[], string, string];
  streamCount: number;
}

// jsonb refuses \u0000 (and with it the whole event): a client's bad input, never a server fault.
const UNSTORABLE_UNICODE = "22P05";

// An `any` append can lose a race to create its stream; it retries, since `any` never conflicts.
const RETRIES = 3;

/**
 * Appends to one or more streams in one transaction, all-or-nothing. A single stream is one
 * autocommit statement (it is atomic by itself); several streams run the same statement inside
 * BEGIN/COMMIT and roll back when any stream's expected version does not hold.
 */
export async function appendStreams(pool: pg.Pool, channel: string, appends: StreamAppend[]): Promise<AppendManyResult> {
  const compiled = compileAppend(appends, channel);
  for (let attempt = 0; ; attempt++) {
    const result = appends.length === 1 ? await runAppend(pool, compiled) : await runInTransaction(pool, compiled);
    if (result.ok) return toSuccess(appends, result.rows);
    const conflicts = await findConflicts(pool, appends, result.rows);
    const retryable = conflicts.every((c) => c.expectedVersion === "any");
    if (!retryable || attempt >= RETRIES) {
      if (conflicts.length > 0) return { ok: false, conflicts };
      throw new GantryError("Aborted", `append to ${appends.map((a) => a.streamId).join(", ")} kept conflicting`);
    }
    // Only `any` streams lost a creation race, or a stream grew to the expected version between
    // the append and the check: the same append can succeed now.
  }
}

interface AppendRow {
  idx: number;
  version: number;
  first_position: string | null;
  last_position: string | null;
}

type RunResult = { ok: true; rows: AppendRow[] } | { ok: false; rows: AppendRow[] };

async function runAppend(db: Queryable, compiled: CompiledAppend): Promise<RunResult> {
  try {
    const { rows } = await db.query<AppendRow>({ name: "gantry_es_append", text: APPEND_SQL, values: compiled.values });
    return { ok: rows.length === compiled.streamCount, rows };
  } catch (err) {
    // The streams row is the real check; the unique (stream_id, stream_version) constraint is the
    // backstop should a writer ever bypass it. Either way it is a version conflict.
    if (isStreamVersionViolation(err)) return { ok: false, rows: [] };
    if ((err as { code?: string }).code === UNSTORABLE_UNICODE) {
      throw new GantryError("InvalidArgument", "event data contains the NUL character (\\u0000), which the event log cannot store", { cause: err });
    }
    throw err;
  }
}

async function runInTransaction(pool: pg.Pool, compiled: CompiledAppend): Promise<RunResult> {
  const client = await pool.connect();
  let release: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await runAppend(client, compiled);
    await client.query(result.ok ? "COMMIT" : "ROLLBACK");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch((rollbackErr: Error) => (release = rollbackErr));
    throw err;
  } finally {
    client.release(release);
  }
}

function isStreamVersionViolation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === "23505" && (e.constraint === EVENTS_STREAM_VERSION_CONSTRAINT || e.constraint === "streams_pkey");
}

function toSuccess(appends: StreamAppend[], rows: AppendRow[]): AppendManyResult {
  const versions = new Array<number>(appends.length);
  for (const row of rows) versions[row.idx - 1] = row.version;
  const first = rows[0];
  if (first?.first_position == null || first.last_position == null) {
    throw new GantryError("Internal", "append accepted the streams but wrote no events");
  }
  return {
    ok: true,
    streams: appends.map((a, i) => ({ streamId: a.streamId, nextVersion: versions[i]! })),
    firstPosition: BigInt(first.first_position),
    lastPosition: BigInt(first.last_position),
  };
}

/**
 * The streams that made an append fail: those not accepted whose expected version does not hold
 * now, plus `any` streams that lost a creation race. Empty when a retry may succeed.
 */
async function findConflicts(pool: pg.Pool, appends: StreamAppend[], accepted: AppendRow[]): Promise<StreamConflict[]> {
  const acceptedIdx = new Set(accepted.map((r) => r.idx - 1));
  const { rows } = await pool.query<{ stream_id: string; version: number }>(STREAM_VERSIONS_SQL, [appends.map((a) => a.streamId)]);
  const actual = new Map(rows.map((r) => [r.stream_id, r.version]));
  const conflicts: StreamConflict[] = [];
  appends.forEach((a, i) => {
    if (acceptedIdx.has(i)) return;
    const actualVersion = actual.get(a.streamId) ?? 0;
    if (a.expectedVersion === "any" || !holds(a.expectedVersion, actualVersion)) {
      conflicts.push({ streamId: a.streamId, expectedVersion: a.expectedVersion, actualVersion });
    }
  });
  return conflicts;
}

function holds(expected: ExpectedVersion, actual: number): boolean {
  if (expected === "any") return true;
  return (expected === "no_stream" ? 0 : expected) === actual;
}

function compileAppend(appends: StreamAppend[], channel: string): CompiledAppend {
  if (appends.length === 0) throw new GantryError("InvalidArgument", "appendMany needs at least one stream");
  const ids: string[] = [];
  const types: string[] = [];
  const expected: number[] = [];
  const counts: number[] = [];
  const events: unknown[] = [];
  const seen = new Set<string>();
  appends.forEach((a, i) => {
    if (seen.has(a.streamId)) throw new GantryError("InvalidArgument", `stream "${a.streamId}" appears twice in one appendMany`);
    seen.add(a.streamId);
    if (a.events.length === 0) {
      throw new GantryError("InvalidArgument", `append to "${a.streamId}" has no events`, {
        violations: [{ path: `/${i}/events`, errors: ["must not be empty"] }],
      });
    }
    ids.push(a.streamId);
    types.push(streamTypeOf(a.streamId));
    expected.push(encodeExpected(a.expectedVersion));
    counts.push(a.events.length);
    a.events.forEach((e, o) => {
      assertEventType(e.type);
      events.push({ s: i + 1, o: o + 1, t: e.type, v: e.schemaVersion ?? 1, d: e.data, m: e.metadata ?? {} });
    });
  });
  return { values: [ids, types, expected, counts, JSON.stringify(events), channel], streamCount: appends.length };
}

function encodeExpected(expected: ExpectedVersion): number {
  if (expected === "any") return -1;
  if (expected === "no_stream") return 0;
  if (!Number.isInteger(expected) || expected < 0) {
    throw new GantryError("InvalidArgument", `expected version ${expected} is invalid: use a version >= 0, "no_stream" or "any"`);
  }
  return expected;
}
