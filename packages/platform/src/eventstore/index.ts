/**
 * The event store: the Postgres event log that is Gantry's source of truth, its commit-order
 * reader and checkpointed subscriptions, protobuf payload helpers, and the relay to JetStream.
 * See README.md for the flow and the vocabulary (position, horizon, checkpoint).
 */
export { EventStore, DEFAULT_EVENTS_CHANNEL } from "./event-store.ts";
export type { EventStoreOptions, AppendSuccess, AppendManySuccess } from "./event-store.ts";
export type { AppendResult, AppendManyResult, ExpectedVersion, StreamAppend, StreamConflict } from "./append-result.ts";
export { ConcurrencyError } from "./concurrency-error.ts";
export { START, positionOf } from "./event.ts";
export type { NewEvent, RecordedEvent, EventMetadata, Position, JsonObject, JsonValue } from "./event.ts";
export { streamTypeOf } from "./stream-id.ts";
export { migrateEventStore, eventStoreMigrations, EVENTS_STREAM_VERSION_CONSTRAINT } from "./migrations.ts";
export type { EventStoreDatabase, EventsTable, StreamsTable, SubscriptionCheckpointsTable, LeasesTable, SnapshotsTable } from "./event-store.tables.ts";
export type { SubscriptionOptions, ProjectionOptions } from "./subscription.ts";
export { BURST_COALESCE_MS, type FollowOptions } from "./follower.ts";
export type { ReadAllOptions, ReadPage } from "./commit-order-reader.ts";
export { FencedOutError, resolveOutcome } from "./transaction.ts";
export type { EventStoreTransaction, TransactionOptions, Fence } from "./transaction.ts";
export { TransactionTooOldError } from "./append.ts";
export { eventOf, decodeEvent, isEvent } from "./protobuf-events.ts";
export { startEventRelay, RELAY_LEASE } from "./event-relay.ts";
export { RELAY_SUBSCRIPTION_ID } from "./relay-checkpoint.ts";
export { keepPlannerStatistics, analyzeStaleTables, HOT_TABLES } from "./planner-statistics.ts";
export type { PlannerStatisticsOptions } from "./planner-statistics.ts";
export type { EventRelay, EventRelayOptions } from "./event-relay.ts";
export { encodeRelayedEvent, decodeRelayedEvent, RelayHeaders } from "./relayed-event.ts";
export type { RelayedEvent } from "./relayed-event.ts";
export { foldInStreamOrder } from "./stream-order-fold.ts";
export type { StreamOrderedFold } from "./stream-order-fold.ts";
