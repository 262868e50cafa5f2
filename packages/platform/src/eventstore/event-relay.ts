import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, PubHeaders, type JetStreamManager } from "@nats-io/jetstream";
import { EVENTS_STREAM } from "@gantry/proto";
import { delay } from "../async/delay.ts";
import { ensureStream, PipelinedPublisher, type StreamDeclaration } from "../bus/index.ts";
import type { ClusterNames } from "../config/index.ts";
import { runForLease, type LeaseTerm } from "../leadership/leader-lease.ts";
import type { Logger } from "../logging/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";
import type { EventStore } from "./event-store.ts";
import { BURST_COALESCE_MS } from "./follower.ts";
import { relayCheckpoint, RELAY_SUBSCRIPTION_ID } from "./relay-checkpoint.ts";
import { encodeRelayedEvent, RelayHeaders } from "./relayed-event.ts";
import { recordRelayLag } from "../telemetry/control-metrics.ts";

/** The lease relays compete for: one publishes, the others stand by. */
export const RELAY_LEASE = "relay";

/**
 * What the relay needs: the store it reads (whose pool also holds its lease), a NATS connection
 * (owned by the caller), the cluster's names, a logger, and the signal that stops it.
 */
export interface EventRelayOptions {
  store: EventStore;
  nc: NatsConnection;
  names: ClusterNames;
  logger: Logger;
  signal: AbortSignal;
  /** Events published with their PubAcks outstanding at once (default 1000). */
  batchSize?: number;
  /** Longest wait for a batch's PubAcks (default 10 s). */
  publishTimeoutMs?: number;
  /** Settings of the events stream besides its name and subjects (tests shorten the duplicate window). */
  streamSettings?: Pick<StreamDeclaration, "duplicateWindowMs">;
  /** Who runs this relay, recorded with the lease (default: this process). */
  holder?: string;
}

/** A running relay: `done` settles once the signal has aborted and the current batch finished. */
export interface EventRelay {
  /** The JetStream stream events are published to (`<CLUSTER>_EVENTS`). */
  stream: string;
  done: Promise<void>;
}

/**
 * Starts a relay from the Postgres log to JetStream. Ensures the stream (subjects
 * `<cluster>.events.>`, file storage), then competes for the `relay` lease with every other relay
 * of the cluster (any process that writes the log may run one). The holder publishes every
 * committed event in commit order to `<cluster>.events.<streamType>.<eventType>` with msgID = the
 * global position and the event's position in headers.
 *
 * Order and exactly-once do not depend on the duplicate window or on a checkpoint written after
 * publishing: the stream itself says how far the relay got. On taking the lease and after any
 * failed publish, the relay reads the stream's last message, takes the log position from its
 * headers and continues right after it; and every publish carries the stream sequence it expects
 * to follow (`Nats-Expected-Last-Sequence`), so when one publish of a pipelined batch fails,
 * every later one is refused by the server instead of landing ahead of it, and a second relay
 * that believes it leads cannot add anything. Resolves once the stream exists.
 */
export async function startEventRelay(options: EventRelayOptions): Promise<EventRelay> {
  const { store, nc, names, logger, signal } = options;
  const jsm = await jetstreamManager(nc);
  const stream = await ensureStream({ jsm, names }, { ...EVENTS_STREAM, ...options.streamSettings });
  const publisher = new PipelinedPublisher(nc);
  const relay = { store, publisher, jsm, names, logger, stream, batchSize: options.batchSize ?? 1000, publishTimeoutMs: options.publishTimeoutMs ?? 10_000 };
  const done = runForLease({ pool: store.pool, name: RELAY_LEASE, logger, signal, ...(options.holder ? { holder: options.holder } : {}) }, (term) => relayWhileHolding(relay, term)).finally(() => publisher.close());
  logger.info({ stream }, "event relay started");
  return { stream, done };
}

interface Relay {
  store: EventStore;
  publisher: PipelinedPublisher;
  jsm: JetStreamManager;
  names: ClusterNames;
  logger: Logger;
  stream: string;
  batchSize: number;
  publishTimeoutMs: number;
}

/** Publishes while the lease is held: from JetStream's tail, again from the tail after any failure. */
async function relayWhileHolding(relay: Relay, term: LeaseTerm): Promise<void> {
  const { store, logger, stream } = relay;
  while (!term.signal.aborted) {
    try {
      const tail = await readTail(relay);
      logger.info({ stream, lastSequence: tail.sequence, after: `${tail.position.transactionId}/${tail.position.globalPosition}`, epoch: term.epoch.toString() }, "relaying from the stream's tail");
      let sequence = tail.sequence;
      // Two batches in flight: the next one is published while the previous one's PubAcks come
      // back. Safe because every publish expects its exact predecessor: if the previous batch
      // fails, this one is refused too, and the relay continues from the stream's tail.
      let previous: Promise<void> = Promise.resolve();
      const checkpoint = relayCheckpoint(store, logger);
      const following = store.follow({
        after: tail.position,
        batchSize: relay.batchSize,
        coalesceMs: BURST_COALESCE_MS,
        signal: term.signal,
        handler: async (events, next) => {
          const before = previous;
          const acked = publishBatch(relay, events, sequence).then(async () => {
            await before;
            checkpoint.record(next);
            recordRelayLag(events.at(-1)!.recordedAt);
          });
          acked.catch(() => undefined);
          sequence += events.length;
          previous = acked;
          await before;
          // A page that was not full means the log is read up to its horizon: nothing follows
          // to wait on this batch, so wait for it here.
          if (events.length < relay.batchSize) await acked;
        },
      });
      await following.then(() => previous).finally(() => checkpoint.flush());
    } catch (err) {
      if (term.signal.aborted) break;
      logger.warn({ err, stream }, "relay publish failed; continuing from the stream's tail");
      await delay(200, term.signal);
    }
  }
}

/**
 * Where the stream ends: its last sequence and the log position of the event stored there (from
 * the relay's headers). An empty stream starts the log from the beginning; a stream whose last
 * message was removed (limits, an operator) falls back to the relay's checkpoint.
 */
async function readTail(relay: Relay): Promise<{ sequence: number; position: Position }> {
  const info = await relay.jsm.streams.info(relay.stream);
  const sequence = info.state.last_seq;
  if (sequence === 0) return { sequence, position: START };
  const last = await relay.jsm.streams.getMessage(relay.stream, { seq: sequence }).catch(() => null);
  const transactionId = last?.header.get(RelayHeaders.transactionId);
  const globalPosition = last?.header.get(PubHeaders.MsgIdHdr);
  if (transactionId && globalPosition) return { sequence, position: { transactionId: BigInt(transactionId), globalPosition: BigInt(globalPosition) } };
  relay.logger.warn({ stream: relay.stream, sequence }, "the stream's last message is gone or not the relay's; continuing from the relay checkpoint");
  return { sequence, position: await relay.store.checkpoint(RELAY_SUBSCRIPTION_ID) };
}

/**
 * Publishes one batch with every PubAck outstanding at once, event i expecting the stream to end
 * at `sequence + i` before it. Resolves when all landed; rejects with the first failure once every
 * publish has settled (the rest of the batch is then refused or known to have landed in order).
 */
async function publishBatch(relay: Relay, events: RecordedEvent[], sequence: number): Promise<void> {
  const messages = events.map((event, i) => {
    const h = headers();
    h.set(PubHeaders.MsgIdHdr, event.globalPosition.toString());
    h.set(PubHeaders.ExpectedLastSeqHdr, String(sequence + i));
    h.set(RelayHeaders.streamId, event.streamId);
    h.set(RelayHeaders.streamVersion, String(event.streamVersion));
    h.set(RelayHeaders.eventType, event.type);
    h.set(RelayHeaders.transactionId, event.transactionId.toString());
    const { traceparent, tracestate } = event.metadata;
    if (traceparent) h.set(RelayHeaders.traceparent, traceparent);
    if (tracestate) h.set(RelayHeaders.tracestate, tracestate);
    return { subject: relay.names.subject(`events.${event.streamType}.${event.type}`), data: encodeRelayedEvent(event), headers: h };
  });
  const outcomes = await relay.publisher.publish(messages, relay.publishTimeoutMs);
  for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
}
