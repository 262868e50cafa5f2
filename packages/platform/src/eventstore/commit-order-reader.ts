import pg from "pg";
import { GantryError } from "../errors/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";
import { StoredEvent, type EventRow } from "./stored-event.ts";

/** The columns every event read selects, in `StoredEvent`'s row order. */
export const EVENT_COLUMNS = `global_position, transaction_id, stream_id, stream_version, event_type, schema_version, data, metadata, date_part('epoch', recorded_at)`;

/**
 * Reads committed events in commit order: only rows written by transactions below the horizon,
 * ordered by `(transaction_id, global_position)`, after a keyset position, optionally of some
 * stream types only.
 *
 * Why the horizon: positions come from a sequence and are taken before commit, so a row with a
 * lower position can become visible after a higher one. Every transaction below the horizon has
 * finished, and every transaction that may still commit has an id at or above it, so nothing
 * that appears later can sort before what was already returned. Appends refuse to write a
 * stream after a newer transaction did (append.sql.ts), so each stream's versions rise in this
 * order too. The cost is latency: a reader waits for the oldest writing transaction of this
 * database (keep transactions short).
 *
 * The horizon is the statement's own snapshot's xmin, except that running transactions of OTHER
 * databases on the same server (xids are server-wide) are passed over: they cannot write this
 * database's events, so a long write elsewhere does not stall this log. A transaction is passed
 * over only when pg_stat_get_activity positively shows it on a backend of another database (read
 * after the snapshot: one that ended meanwhile is not found, and counts, which only delays); so
 * without the privilege to see other sessions' xids the horizon is simply the snapshot's xmin.
 * Running xids are compared on their low 32 bits (backend_xid is an `xid`): two running
 * transactions are never 2^32 apart. The horizon is `gantry_commit_horizon()` (migration 0004),
 * a STABLE function, so it reads this statement's snapshot, and MATERIALIZED, so it runs once
 * (inlined, it ran once for every row examined). The statement is still planned on every read
 * (its custom plans look cheaper to the planner than a generic one, which can be a sort of every
 * matching event), but in a function the horizon's part keeps its plan for the session, so only
 * the events' part is planned (figures: the event store's README).
 *
 * The horizon comes back even when no event does (LEFT JOIN LATERAL), so a reader that found
 * nothing, or fewer than it asked for, knows it has seen everything below the horizon.
 */
export const READ_ALL_SQL = `
WITH h AS MATERIALIZED (SELECT gantry_commit_horizon() AS horizon)
SELECT h.horizon::text, e.*
FROM h LEFT JOIN LATERAL (
  SELECT ${EVENT_COLUMNS}
  FROM events
  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
    AND transaction_id < h.horizon
    AND ($4::text[] IS NULL OR split_part(stream_id, '-', 1) = ANY($4::text[]))
  ORDER BY transaction_id, global_position
  LIMIT $3
) e ON true`;

/** What a reader asks for: events after `after` (default START), at most `limit`, of `streamTypes` only (default all). */
export interface ReadAllOptions {
  after?: Position;
  limit: number;
  streamTypes?: readonly string[];
}

/**
 * One page of the commit-order reader. `next` is where the next read continues: the last
 * event's position when the page is full; otherwise the horizon itself (`{transactionId:
 * horizon, globalPosition: 0}`), since every matching event below it has been returned, which
 * lets a filtered reader move past the events it does not follow. `caughtUp` is true when the
 * page was not full (the reader is at the horizon).
 */
export interface ReadPage {
  events: RecordedEvent[];
  next: Position;
  caughtUp: boolean;
}

const JSONB = 3802;
const FLOAT8 = 701;
const raw = (value: string) => value;
const parseFloat8 = (value: string) => Number(value);
/**
 * jsonb stays text (parsed on first access by StoredEvent: a rebuild that folds by stream and
 * type never pays for payloads it skips); float8 (the epoch seconds) is a number; the rest as pg
 * parses it by default (int8/xid8 stay strings until BigInt()).
 */
export const EVENT_ROW_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === JSONB ? raw : oid === FLOAT8 ? parseFloat8 : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * Reads up to `limit` committed events after `after` in commit order, of the given stream
 * types (all when absent). Throws InvalidArgument for a non-positive limit or an empty type list.
 */
export async function readAllPage(db: Pick<pg.ClientBase, "query">, options: ReadAllOptions): Promise<ReadPage> {
  const { limit } = options;
  const after = options.after ?? START;
  if (!Number.isInteger(limit) || limit <= 0) throw new GantryError("InvalidArgument", `limit ${limit} must be a positive integer`);
  if (options.streamTypes !== undefined && options.streamTypes.length === 0) throw new GantryError("InvalidArgument", "streamTypes must name at least one stream type");
  const result = await db.query({
    name: "gantry_es_read_all",
    text: READ_ALL_SQL,
    values: [after.transactionId.toString(), after.globalPosition.toString(), limit, options.streamTypes ?? null],
    rowMode: "array",
    types: EVENT_ROW_TYPES,
  } as pg.QueryArrayConfig);
  const rows = result.rows as unknown as [string, ...EventRow][];
  const horizon = BigInt(rows[0]![0]);
  const events: RecordedEvent[] = [];
  for (const row of rows) if (row[1] !== null) events.push(new StoredEvent(row, 1));
  const caughtUp = events.length < limit;
  const last = events[events.length - 1];
  let next: Position = last === undefined ? after : { transactionId: last.transactionId, globalPosition: last.globalPosition };
  if (caughtUp && horizon > next.transactionId) next = { transactionId: horizon, globalPosition: 0n };
  return { events, next, caughtUp };
}

/** Reads up to `limit` committed events after `after` (default: the start), in commit order. */
export async function readAllEvents(db: Pick<pg.ClientBase, "query">, after: Position = START, limit: number): Promise<RecordedEvent[]> {
  return (await readAllPage(db, { after, limit })).events;
}
