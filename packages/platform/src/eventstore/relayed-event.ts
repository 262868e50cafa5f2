import type { EventMetadata, JsonObject, RecordedEvent } from "./event.ts";

/**
 * The JSON body of an event as the relay publishes it on JetStream. `globalPosition` is a decimal
 * string (JSON has no 64-bit integers) and `recordedAt` an RFC 3339 timestamp. The transaction id
 * travels only as a header: consumers order by the JetStream sequence, which is commit order.
 */
export interface RelayedEvent {
  globalPosition: string;
  streamId: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  metadata: EventMetadata;
  recordedAt: string;
}

/** NATS header names the relay sets on every message (besides `Nats-Msg-Id` = global position). */
export const RelayHeaders = Object.freeze({
  streamId: "Gantry-Stream-Id",
  streamVersion: "Gantry-Stream-Version",
  eventType: "Gantry-Event-Type",
  transactionId: "Gantry-Transaction-Id",
  traceparent: "traceparent",
  tracestate: "tracestate",
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a recorded event as the relay's message body (UTF-8 JSON of a RelayedEvent). */
export function encodeRelayedEvent(event: RecordedEvent): Uint8Array {
  const body: RelayedEvent = {
    globalPosition: event.globalPosition.toString(),
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
  return encoder.encode(JSON.stringify(body));
}

/** Decodes a relay message body; throws SyntaxError when it is not JSON. */
export function decodeRelayedEvent(body: Uint8Array): RelayedEvent {
  return JSON.parse(decoder.decode(body)) as RelayedEvent;
}
