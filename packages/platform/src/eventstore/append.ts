import type pg from "pg";
import { GantryError } from "../errors/index.ts";
import { APPEND_SQL, STREAM_VERSIONS_SQL } from "./append.sql.ts";
import type { AppendManyResult, ExpectedVersion, StreamAppend, StreamConflict } from "./append-result.ts";
import { EVENTS_STREAM_VERSION_CONSTRAINT } from "./migrations.ts";
import { assertEventType, streamTypeOf } from "./stream-id.ts";

/** Something that runs a query: a pool (autocommit) or a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** An append compiled to the parameters of APPEND_SQL. */
export interface CompiledAppend {
  values: [string[], string[], number[], number[], string, string];
  streamCount: number;
}

// jsonb refuses \u0000 (and with it the whole event): a client's bad input, never a server fault.
const UNSTORABLE_UNICODE = "22P05";

/**
 * Thrown inside a caller's transaction when an append was refused although every expected
 * version holds: a newer transaction wrote one of the streams first (or created it), so this
 * transaction's id is too old to write it without breaking per-stream order. The transaction
 * must be rolled back and run again; `EventStore.transaction` does that by itself.
 */
export class TransactionTooOldError extends GantryError {
  constructor(streams: string[]) {
    super("Aborted", `streams ${streams.join(", ")} were written by a newer transaction; run the transaction again`);
    this.name = "TransactionTooOldError";
  }
}

/**
 * Appends inside the caller's open transaction (`client` has run BEGIN). Returns the conflicts
 * as a value, after which the caller MUST roll back: the statement may have bumped some stream
 * rows before it was refused. Throws TransactionTooOldError when the refusal had no conflict
 * behind it, so the same work in a new transaction may succeed.
 */
export async function appendInTransaction(client: Queryable, channel: string, appends: StreamAppend[]): Promise<AppendManyResult> {
  const compiled = compileAppend(appends, channel);
  const result = await runAppend(client, compiled);
  if (result.ok) return toSuccess(appends, result.rows);
  const conflicts = await findConflicts(client, appends, result.rows);
  if (conflicts.length > 0) return { ok: false, conflicts };
  throw new TransactionTooOldError(appends.filter((_, i) => !result.rows.some((r) => r.idx === i + 1)).map((a) => a.streamId));
}

interface AppendRow {
  idx: number;
  version: number;
  first_position: string | null;
  last_position: string | null;
}

type RunResult = { ok: true; rows: AppendRow[] } | { ok: false; rows: AppendRow[] };

export async function runAppend(db: Queryable, compiled: CompiledAppend): Promise<RunResult> {
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

function isStreamVersionViolation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === "23505" && (e.constraint === EVENTS_STREAM_VERSION_CONSTRAINT || e.constraint === "streams_pkey");
}

export function toSuccess(appends: StreamAppend[], rows: AppendRow[]): AppendManyResult {
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
 * now. Empty when the refusal had another cause (an `any` stream lost a creation race, or a
 * newer transaction wrote a stream first) and the same append may succeed in a new transaction.
 */
export async function findConflicts(db: Queryable, appends: StreamAppend[], accepted: AppendRow[]): Promise<StreamConflict[]> {
  const acceptedIdx = new Set(accepted.map((r) => r.idx - 1));
  const { rows } = await db.query<{ stream_id: string; version: number }>(STREAM_VERSIONS_SQL, [appends.map((a) => a.streamId)]);
  const actual = new Map(rows.map((r) => [r.stream_id, r.version]));
  const conflicts: StreamConflict[] = [];
  appends.forEach((a, i) => {
    if (acceptedIdx.has(i)) return;
    const actualVersion = actual.get(a.streamId) ?? 0;
    if (!holds(a.expectedVersion, actualVersion)) conflicts.push({ streamId: a.streamId, expectedVersion: a.expectedVersion, actualVersion });
  });
  return conflicts;
}

function holds(expected: ExpectedVersion, actual: number): boolean {
  if (expected === "any") return true;
  return (expected === "no_stream" ? 0 : expected) === actual;
}

export function compileAppend(appends: StreamAppend[], channel: string): CompiledAppend {
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
