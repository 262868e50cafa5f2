import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { EVENTS_STREAM } from "@gantry/proto";
import { ensureStream } from "../bus/index.ts";
import type { ClusterNames } from "../config/index.ts";
import type { Logger } from "../logging/index.ts";
import type { RecordedEvent } from "./event.ts";
import type { EventStore } from "./event-store.ts";
import { encodeRelayedEvent, RelayHeaders } from "./relayed-event.ts";

/** The subscription id the relay checkpoints under. */
export const RELAY_SUBSCRIPTION_ID = "relay";

const RESTART_DELAY_MS = 1_000;

/**
 * What the relay needs: the store it reads, a NATS connection (owned by the caller), the
 * cluster's names, a logger, and the signal that stops it. `batchSize` events are published
 * with all their PubAcks outstanding at once (default 1000).
 */
export interface EventRelayOptions {
  store: EventStore;
  nc: NatsConnection;
  names: ClusterNames;
  logger: Logger;
  signal: AbortSignal;
  batchSize?: number;
}

/** A running relay: `done` settles once the signal has aborted and the current batch finished. */
export interface EventRelay {
  /** The JetStream stream events are published to (`<CLUSTER>_EVENTS`). */
  stream: string;
  done: Promise<void>;
}

/**
 * Starts the relay from the Postgres log to JetStream. Ensures the stream `names.stream("EVENTS")`
 * (subjects `<cluster>.events.>`, file storage, 2-minute duplicate window), then publishes every
 * committed event in commit order to `<cluster>.events.<streamType>.<eventType>` with msgID = the
 * global position, so a re-publish after a crash is deduplicated. Checkpoints as subscription
 * `relay` only after every PubAck of a batch arrived: delivery is at least once, order is commit
 * order. Resolves once the stream exists; a failing batch is logged and retried after a second.
 */
export async function startEventRelay(options: EventRelayOptions): Promise<EventRelay> {
  const { store, nc, names, logger, signal } = options;
  const stream = await ensureStream({ jsm: await jetstreamManager(nc), names }, EVENTS_STREAM);
  const js = jetstream(nc);
  const handler = (events: RecordedEvent[]) => publishBatch(js, names, events);
  const done = (async () => {
    while (!signal.aborted) {
      try {
        await store.subscribe({ subscriptionId: RELAY_SUBSCRIPTION_ID, handler, batchSize: options.batchSize ?? 1000, signal, logger });
      } catch (err) {
        logger.error({ err, stream }, "event relay batch failed; retrying");
        await abortableDelay(RESTART_DELAY_MS, signal);
      }
    }
  })();
  logger.info({ stream }, "event relay started");
  return { stream, done };
}

/**
 * Publishes one batch with every PubAck outstanding at once (NATS keeps one connection's
 * publishes in order, so the stream holds them in commit order) and resolves when all are acked.
 */
async function publishBatch(js: JetStreamClient, names: ClusterNames, events: RecordedEvent[]): Promise<void> {
  const acks = events.map((event) => {
    const h = headers();
    h.set(RelayHeaders.streamId, event.streamId);
    h.set(RelayHeaders.streamVersion, String(event.streamVersion));
    h.set(RelayHeaders.eventType, event.type);
    h.set(RelayHeaders.transactionId, event.transactionId.toString());
    if (event.metadata.traceparent) h.set(RelayHeaders.traceparent, event.metadata.traceparent);
    if (event.metadata.tracestate) h.set(RelayHeaders.tracestate, event.metadata.tracestate);
    return js.publish(names.subject(`events.${event.streamType}.${event.type}`), encodeRelayedEvent(event), {
      msgID: event.globalPosition.toString(),
      headers: h,
    });
  });
  await Promise.all(acks);
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
