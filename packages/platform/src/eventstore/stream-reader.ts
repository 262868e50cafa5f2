import type pg from "pg";
import type { RecordedEvent } from "./event.ts";
import { EVENT_COLUMNS, EVENT_ROW_TYPES } from "./commit-order-reader.ts";
import { StoredEvent } from "./stored-event.ts";

const READ_STREAM_SQL = `
SELECT ${EVENT_COLUMNS}
FROM events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`;

/**
 * Reads one stream's committed events in version order, from `fromVersion` (default 1). A stream
 * has one writer and versions are checked on append, so its versions are gapless once committed.
 * Reads what is committed now, without waiting for the horizon: the way to fill a gap a fold found.
 */
export async function readStreamEvents(db: Pick<pg.ClientBase, "query">, streamId: string, fromVersion = 1): Promise<RecordedEvent[]> {
  const result = await db.query({ name: "gantry_es_read_stream", text: READ_STREAM_SQL, values: [streamId, fromVersion], rowMode: "array", types: EVENT_ROW_TYPES });
  return result.rows.map((row) => new StoredEvent(row as unknown[]));
}

/** The current version of a stream: the number of events in it, 0 when it does not exist. */
export async function readStreamVersion(db: Pick<pg.ClientBase, "query">, streamId: string): Promise<number> {
  const { rows } = await db.query<{ version: number }>("SELECT version FROM streams WHERE stream_id = $1", [streamId]);
  return rows[0]?.version ?? 0;
}
