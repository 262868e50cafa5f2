/**
 * The one statement that appends to one or many streams. It checks and bumps every stream's
 * version, inserts every event, and wakes listeners, in a single round trip:
 *
 * - `updated`: streams that exist and are at the expected version (or `any`) get `version + n`.
 *   Under concurrent writers the row lock makes a second writer re-check `version = expected`
 *   after the first commits (READ COMMITTED re-evaluation), so exactly one wins.
 *   A stream is also refused when a NEWER transaction (larger xid) wrote it last: readers order
 *   by (transaction_id, global_position), so writing version v+2 under an older xid than v+1
 *   would show v+2 first. The writer retries in a new transaction, whose xid is newer.
 * - `created`: `no_stream`/`any` streams that do not exist yet are inserted; a concurrent
 *   creator makes `ON CONFLICT DO NOTHING` return nothing, which reads as a conflict.
 * - `appended`: events are inserted only when EVERY stream was accepted, so a partly accepted
 *   multi-stream append writes no events (the caller rolls back the stream rows).
 * - `pg_notify` runs in the same transaction, so listeners wake exactly when the rows commit.
 *
 * Parameters: $1 stream ids, $2 stream types, $3 expected versions (-1 any, 0 no stream),
 * $4 event counts per stream, $5 events as a JSON array of {s: stream index (1-based),
 * o: offset in that stream (1-based), t: type, v: schema version, d: data, m: metadata},
 * $6 the notification channel. Returns one row per accepted stream.
 */
export const APPEND_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[])
    WITH ORDINALITY AS i(stream_id, stream_type, expected, n, idx)
),
updated AS (
  UPDATE streams s SET version = s.version + i.n, updated_at = now(), last_transaction_id = pg_current_xact_id()
  FROM input i
  WHERE s.stream_id = i.stream_id AND i.expected <> 0 AND (i.expected = -1 OR s.version = i.expected)
    AND s.last_transaction_id <= pg_current_xact_id()
  RETURNING s.stream_id, s.version
),
created AS (
  INSERT INTO streams (stream_id, stream_type, version, last_transaction_id)
  SELECT i.stream_id, i.stream_type, i.n, pg_current_xact_id() FROM input i
  WHERE i.expected IN (0, -1) AND NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = i.stream_id)
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING stream_id, version
),
accepted AS (
  SELECT i.idx, i.stream_id, i.n, v.version
  FROM input i JOIN (SELECT * FROM updated UNION ALL SELECT * FROM created) v USING (stream_id)
),
appended AS (
  INSERT INTO events (stream_id, stream_version, event_type, schema_version, data, metadata)
  SELECT a.stream_id, a.version - a.n + e.o, e.t, e.v, e.d, e.m
  FROM json_to_recordset($5::json) AS e(s int, o int, t text, v int, d jsonb, m jsonb)
  JOIN accepted a ON a.idx = e.s
  WHERE (SELECT count(*) FROM accepted) = cardinality($1::text[])
  ORDER BY e.s, e.o
  RETURNING global_position
),
notified AS (
  SELECT pg_notify($6, '') WHERE EXISTS (SELECT 1 FROM appended)
)
SELECT a.idx::int AS idx, a.version,
  (SELECT min(global_position) FROM appended)::text AS first_position,
  (SELECT max(global_position) FROM appended)::text AS last_position,
  (SELECT count(*) FROM notified)::int AS notified
FROM accepted a`;

/** The current version of each of the given streams ($1 text[]); absent streams are at version 0. */
export const STREAM_VERSIONS_SQL = `SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::text[])`;
