import { PARKED_STREAM } from "@gantry/proto";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";
import type { Bus } from "./bus.ts";
import type { ParkRequest, ParkSink } from "./in-order-handler.ts";
import { ParkedKeys } from "./parked-keys.ts";
import { ensureStream } from "./streams.ts";

/**
 * Headers of a message in the PARKED stream (`<cluster>.parked.<consumer>`); its payload is the
 * original message's, and the original's own headers (trace context, ids) are kept beside these.
 */
export const ParkedHeaders = Object.freeze({
  /** Consumer that parked it. */
  consumer: "Gantry-Parked-Consumer",
  /** Full name of the stream the original was read from. */
  stream: "Gantry-Parked-Stream",
  /** Subject the original was published on. */
  subject: "Gantry-Parked-Subject",
  /** Stream sequence of the original. */
  seq: "Gantry-Parked-Seq",
  /** Why: the last error's message, or `held back behind parked message <stream>#<seq>`. */
  reason: "Gantry-Parked-Reason",
  /** Handler attempts made (0: held back untried). */
  attempts: "Gantry-Parked-Attempts",
  /** Ordering key of the original, absent when it has none. */
  key: "Gantry-Parked-Key",
  /** When it was parked, ISO 8601. */
  parkedAt: "Gantry-Parked-At",
});

/** Where one consumer parks: the sink to pass to `InOrderHandler` and what it parked before. */
export interface Parking {
  /** Publishes to `<cluster>.parked.<consumer>` and resolves once JetStream stored it. */
  sink: ParkSink;
  /** What this consumer parked in earlier runs (its keys stay held back). */
  parkedKeys: ParkedKeys;
}

/**
 * Prepares parking for one consumer: declares the PARKED stream (idempotent) and rebuilds the
 * consumer's `ParkedKeys` from its subject there, so a restarted consumer keeps holding back the
 * keys it held back before. Fails when NATS or JetStream is unavailable.
 */
export async function openParking(bus: Pick<Bus, "js" | "jsm" | "names">, consumer: string): Promise<Parking> {
  const stream = await ensureStream(bus, PARKED_STREAM);
  return { sink: parkInStream(bus, stream), parkedKeys: await loadParkedKeys(bus, stream, consumer) };
}

/** The subject suffix a consumer parks on. */
export function parkedSubjectSuffix(consumer: string): string {
  return `parked.${consumer}`;
}

function parkInStream(bus: Pick<Bus, "js" | "names">, stream: string): ParkSink {
  return async (request: ParkRequest) => {
    const { message } = request;
    const h = natsHeaders();
    // The original headers travel along (trace context, ids an operator filters by), except
    // NATS's own (its msg id would collide with ours in the duplicate window).
    if (message.headers) {
      for (const k of message.headers.keys()) {
        if (k.toLowerCase().startsWith("nats-")) continue;
        for (const v of message.headers.values(k)) h.append(k, v);
      }
    }
    h.set(ParkedHeaders.consumer, request.consumer);
    h.set(ParkedHeaders.stream, message.stream);
    h.set(ParkedHeaders.subject, message.subject);
    h.set(ParkedHeaders.seq, String(message.seq));
    h.set(ParkedHeaders.reason, request.reason);
    h.set(ParkedHeaders.attempts, String(request.attempts));
    if (request.key !== undefined) h.set(ParkedHeaders.key, request.key.replace(/[\r\n]+/g, " "));
    h.set(ParkedHeaders.parkedAt, request.parkedAt.toISOString());
    await bus.js.publish(bus.names.subject(parkedSubjectSuffix(request.consumer)), message.data, {
      headers: h,
      // A re-park of the same message by the same consumer (after a crash) is stored once.
      msgID: `${message.stream}:${message.seq}:${request.consumer}`,
      expect: { streamName: stream },
    });
  };
}

async function loadParkedKeys(bus: Pick<Bus, "js" | "jsm" | "names">, stream: string, consumer: string): Promise<ParkedKeys> {
  const keys = new ParkedKeys();
  const subject = bus.names.subject(parkedSubjectSuffix(consumer));
  const info = await bus.jsm.streams.info(stream, { subjects_filter: subject });
  if ((info.state.subjects?.[subject] ?? 0) === 0) return keys;
  // An ordered consumer of headers only: one pass over what this consumer parked, oldest first,
  // so the first parked message of a key is the one the key is held behind.
  const reader = await bus.js.consumers.get(stream, { filter_subjects: subject, headers_only: true });
  try {
    for (;;) {
      let received = 0;
      let caughtUp = false;
      for await (const m of await reader.fetch({ max_messages: 1_000, expires: 5_000 })) {
        received++;
        if (m.headers) recordParked(keys, m.headers);
        if (m.info.pending === 0) {
          caughtUp = true;
          break;
        }
      }
      if (caughtUp || received === 0) return keys;
    }
  } finally {
    await reader.delete().catch(() => {});
  }
}

function recordParked(keys: ParkedKeys, h: MsgHdrs): void {
  const stream = h.get(ParkedHeaders.stream);
  const seq = Number(h.get(ParkedHeaders.seq));
  if (!stream || !Number.isSafeInteger(seq)) return;
  keys.record(stream, seq, h.get(ParkedHeaders.key) || undefined);
}
