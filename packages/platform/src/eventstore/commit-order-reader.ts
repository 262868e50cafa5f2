import pg from "pg";
import { GantryError } from "../errors/index.ts";
import type { EventMetadata, JsonObject, Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";

/**
 * The columns every event read selects, in `toRecordedEvent`'s order. `recorded_at` travels as
 * epoch seconds (float8): turning that into a Date is several times cheaper than parsing the
 * timestamptz text, which matters when a rebuild reads millions of rows.
 */
export const EVENT_COLUMNS = `global_position, transaction_id, stream_id, stream_version, event_type, schema_version, data, metadata, date_part('epoch', recorded_at)`;

/**
 * Reads committed events in commit order: only rows written by transactions below the xmin
 * horizon (`pg_snapshot_xmin(pg_current_snapshot())`), ordered by `(transaction_id,
 * global_position)`, after a keyset position.
 *
 * Why the horizon: positions come from a sequence and are taken before commit, so a row with a
 * lower position can become visible after a higher one. Every transaction below the horizon has
 * finished, and every transaction that may still commit has an id at or above it, so nothing
 * that appears later can sort before what was already returned. The cost is latency: a reader
 * waits for the oldest running transaction in the cluster (keep transactions short).
 */
export const READ_ALL_SQL = `
SELECT ${EVENT_COLUMNS}
FROM events
WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
  AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
ORDER BY transaction_id, global_position
LIMIT $3`;

// Rows come back as arrays (no per-row key objects); int8/xid8 stay strings until BigInt() here.
type Row = [string, string, string, number, string, number, JsonObject, EventMetadata, number];

const pgTypes = pg.types;
const FLOAT8 = 701;
const parseFloat8 = (value: string) => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === FLOAT8 ? parseFloat8 : pgTypes.getTypeParser(oid, format as "text"))) as typeof pgTypes.getTypeParser,
};

/**
 * Reads up to `limit` committed events after `after` (default: the start), in commit order.
 * Throws InvalidArgument for a non-positive limit.
 */
export async function readAllEvents(db: Pick<pg.ClientBase, "query">, after: Position = START, limit: number): Promise<RecordedEvent[]> {
  if (!Number.isInteger(limit) || limit <= 0) throw new GantryError("InvalidArgument", `limit ${limit} must be a positive integer`);
  const result = await db.query<Row>({
    name: "gantry_es_read_all",
    text: READ_ALL_SQL,
    values: [after.transactionId.toString(), after.globalPosition.toString(), limit],
    rowMode: "array",
    types,
  } as pg.QueryArrayConfig);
  return (result.rows as unknown as Row[]).map(toRecordedEvent);
}

/** Parses float8 (the epoch seconds) as a number; every other type as pg does by default. */
export const EVENT_ROW_TYPES = types;

/** Maps one `events` row (in EVENT_COLUMNS order) to a RecordedEvent. */
export function toRecordedEvent(row: Row): RecordedEvent {
  const streamId = row[2];
  return {
    globalPosition: BigInt(row[0]),
    transactionId: BigInt(row[1]),
    streamId,
    streamType: streamId.slice(0, streamId.indexOf("-")),
    streamVersion: row[3],
    type: row[4],
    schemaVersion: row[5],
    data: row[6],
    metadata: row[7],
    recordedAt: new Date(row[8] * 1000),
  };
}
