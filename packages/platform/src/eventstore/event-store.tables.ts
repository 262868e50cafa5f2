import type { ColumnType, Generated } from "kysely";

/**
 * Kysely table types of the event store. int8/xid8 columns are read as strings by pg unless a
 * parser is installed; the store's own queries parse them, so they are typed as strings here.
 */
export interface StreamsTable {
  stream_id: string;
  stream_type: string;
  version: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** One row per event; `global_position` is allocation order, `(transaction_id, global_position)` commit order. */
export interface EventsTable {
  global_position: Generated<string>;
  transaction_id: Generated<string>;
  stream_id: string;
  stream_version: number;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: Generated<Date>;
}

/** The last commit-order position each subscription has fully handled. */
export interface SubscriptionCheckpointsTable {
  subscription_id: string;
  transaction_id: string;
  global_position: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** The event store's schema as a Kysely database type. */
export interface EventStoreDatabase {
  streams: StreamsTable;
  events: EventsTable;
  subscription_checkpoints: SubscriptionCheckpointsTable;
}
