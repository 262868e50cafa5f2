import type { EventMetadata, JsonObject, RecordedEvent } from "./event.ts";

/**
 * One `events` row as read in EVENT_COLUMNS order with EVENT_ROW_TYPES: positions as decimal
 * strings, data and metadata as JSON text, recorded_at as epoch seconds.
 */
export type EventRow = [string, string, string, number, string, number, string, string, number];

/**
 * A RecordedEvent read from Postgres whose payload is parsed on first access: a fold that looks
 * only at stream ids, versions and types (or skips most events) never pays for JSON it does not
 * read. `data`, `metadata` and `recordedAt` are getters, so copy an event field by field (a
 * spread `{...event}` would drop them); the parsed value is kept, so a second access is free.
 */
export class StoredEvent implements RecordedEvent {
  readonly globalPosition: bigint;
  readonly transactionId: bigint;
  readonly streamId: string;
  readonly streamType: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly schemaVersion: number;
  #data: string | JsonObject;
  #metadata: string | EventMetadata;
  readonly #recordedAt: number;

  /** Builds an event from `row`, whose event columns start at index `offset`. */
  constructor(row: readonly unknown[], offset = 0) {
    const at = <I extends number>(i: I) => row[offset + i] as EventRow[I];
    const streamId = at(2);
    this.globalPosition = BigInt(at(0));
    this.transactionId = BigInt(at(1));
    this.streamId = streamId;
    this.streamType = streamId.slice(0, streamId.indexOf("-"));
    this.streamVersion = at(3);
    this.type = at(4);
    this.schemaVersion = at(5);
    this.#data = at(6);
    this.#metadata = at(7);
    this.#recordedAt = at(8);
  }

  /** The payload (protobuf canonical JSON), parsed on first access. */
  get data(): JsonObject {
    if (typeof this.#data === "string") this.#data = JSON.parse(this.#data) as JsonObject;
    return this.#data;
  }

  /** Correlation, causation, principal and trace context, parsed on first access. */
  get metadata(): EventMetadata {
    if (typeof this.#metadata === "string") this.#metadata = JSON.parse(this.#metadata) as EventMetadata;
    return this.#metadata;
  }

  /** When the event was committed (the database clock). */
  get recordedAt(): Date {
    return new Date(this.#recordedAt * 1000);
  }
}
