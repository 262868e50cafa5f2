/** A JSON value as stored in `jsonb`: the protobuf canonical JSON of an event payload. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: the shape every event payload and metadata document has. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Who and what caused an event, stored beside it in `events.metadata`. All fields are optional;
 * `traceparent`/`tracestate` are the W3C trace context the relay forwards as NATS headers.
 */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  principal?: string;
  traceparent?: string;
  tracestate?: string;
  /** The lease epoch a fenced writer (the scheduler leader) wrote under: the log shows which leader decided what. */
  leaderEpoch?: string;
}

/**
 * An event about to be appended. `type` is the protobuf message's short name (`AppCreated`) and
 * becomes the last token of the NATS subject, so it must be a plain identifier; `data` is the
 * message's canonical JSON. `schemaVersion` defaults to 1.
 */
export interface NewEvent {
  type: string;
  data: JsonObject;
  schemaVersion?: number;
  metadata?: EventMetadata;
}

/**
 * A committed event as read back from the log. `globalPosition` is unique and increasing in
 * allocation order but NOT in commit order; commit order is `(transactionId, globalPosition)`.
 */
export interface RecordedEvent {
  globalPosition: bigint;
  transactionId: bigint;
  streamId: string;
  streamType: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * A point in commit order: the last event a reader or subscription has seen. Reading "after" a
 * position returns the events whose `(transactionId, globalPosition)` sorts after it.
 */
export interface Position {
  transactionId: bigint;
  globalPosition: bigint;
}

/** The position before the first event. */
export const START: Position = Object.freeze({ transactionId: 0n, globalPosition: 0n });

/** The position of a recorded event, for use as a reader's `after`. */
export function positionOf(event: RecordedEvent): Position {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}
