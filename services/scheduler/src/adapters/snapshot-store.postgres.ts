import type pg from "pg";
import type { Position } from "@gantry/platform";

/** A stored snapshot: what it folds up to, its layout version and its bytes. */
export interface StoredSnapshot {
  position: Position;
  schemaVersion: number;
  data: Buffer;
}

const SAVE_SQL = `
INSERT INTO snapshots (name, transaction_id, global_position, schema_version, data) VALUES ($1, $2::xid8, $3, $4, $5)
ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position,
  schema_version = EXCLUDED.schema_version, data = EXCLUDED.data, created_at = now()
WHERE (snapshots.transaction_id, snapshots.global_position) <= (EXCLUDED.transaction_id, EXCLUDED.global_position)`;
const LOAD_SQL = `SELECT transaction_id::text, global_position::text, schema_version, data FROM snapshots WHERE name = $1`;

/**
 * The latest snapshot of a read model, one row per name in `snapshots`. Saving never replaces a
 * snapshot with one at an older position (a leader and a standby may both save).
 */
export function snapshotStore(pool: pg.Pool, name: string) {
  return {
    async save(position: Position, schemaVersion: number, data: Buffer): Promise<void> {
      await pool.query(SAVE_SQL, [name, position.transactionId.toString(), position.globalPosition.toString(), schemaVersion, data]);
    },
    async load(): Promise<StoredSnapshot | undefined> {
      const { rows } = await pool.query<{ transaction_id: string; global_position: string; schema_version: number; data: Buffer }>(LOAD_SQL, [name]);
      const row = rows[0];
      return row && { position: { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }, schemaVersion: row.schema_version, data: row.data };
    },
  };
}

/** A snapshot store bound to one name. */
export type SnapshotStore = ReturnType<typeof snapshotStore>;
