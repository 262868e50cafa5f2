import type { ColumnType, Generated } from "kysely";

/**
 * Kysely table types of the event store. int8/xid8 columns are read as strings by pg unless a
 * parser is installed; the store's own queries parse them, so they are typed as strings here.
 */
export interface StreamsTable {
  stream_id: string;
  stream_type: string;
  version: number;
  /** The transaction that last wrote the stream; appends refuse to write after a newer one. */
  last_transaction_id: Generated<string>;
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

/** One leader lease: its current epoch and holder (see leadership/). */
export interface LeasesTable {
  name: string;
  epoch: string;
  holder: string;
  backend_pid: number;
  acquired_at: Generated<Date>;
}

/** When each lease's holder last proved it is alive. */
export interface LeaseRenewalsTable {
  name: string;
  renewed_at: Generated<Date>;
}

/** The latest snapshot of one read model and the commit-order position it folds up to. */
export interface SnapshotsTable {
  name: string;
  transaction_id: string;
  global_position: string;
  schema_version: number;
  data: Buffer;
  created_at: Generated<Date>;
}

/** The event store's schema as a Kysely database type. */
export interface EventStoreDatabase {
  streams: StreamsTable;
  events: EventsTable;
  subscription_checkpoints: SubscriptionCheckpointsTable;
  leases: LeasesTable;
  lease_renewals: LeaseRenewalsTable;
  snapshots: SnapshotsTable;
}
