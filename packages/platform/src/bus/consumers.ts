import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerInfo, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { nanos, type Msg } from "@nats-io/nats-core";
import { context } from "@opentelemetry/api";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import { delay } from "../async/delay.ts";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import type { Bus } from "./bus.ts";
import { InOrderHandler, type RetryBackoff, type StreamMessage } from "./in-order-handler.ts";
import { contextFromHeaders, decodeMessage } from "./messages.ts";
import { openParking } from "./parked-stream.ts";

/** A durable, explicitly acknowledged pull consumer on one filter subject (NATS 2.9: one filter per consumer). */
export interface DurableConsumerOptions<T> {
  /** Full stream name (as returned by `ensureStream`). */
  stream: string;
  /**
   * Durable name suffix (`[A-Za-z0-9_-]`); the cluster prefixes it, and it names the park subject
   * `parked.<durable>`. One process at a time per durable: the order promise holds for one reader.
   */
  durable: string;
  /** Subject suffix filter, e.g. "agent.status.>". */
  filterSubject: string;
  /** Decodes a payload (`protobufDecoder(schema)` or `jsonDecoder`); throwing is a permanent failure. */
  decode: (data: Uint8Array) => T;
  /**
   * Handles one message; resolving acks it. Throwing retries it in place (nothing later is handled
   * meanwhile): a non-retryable `GantryError` `maxAttempts` times then it is parked, anything else
   * until it succeeds. Must be idempotent: after a crash another process may handle it again.
   */
  handler: (message: T, raw: JsMsg) => Promise<void>;
  logger: Logger;
  /** Aborting stops the consumer; a message being retried is left unacknowledged for the next one. */
  signal: AbortSignal;
  /**
   * The key whose messages must stay in order (e.g. the `Gantry-Task-Id` header): once one of a
   * key is parked, every later one of that key is parked behind it; other keys go on. Default: none.
   */
  orderingKey?: (raw: JsMsg) => string | undefined;
  /** Permanent failures of one message before it is parked (default 3). */
  maxAttempts?: number;
  /** Pause between attempts of one message (default 100 ms doubling to 5 s). */
  backoff?: RetryBackoff;
  /** JetStream ack deadline (default 30 s); a message being handled or retried is kept alive every third of it. */
  ackWaitMs?: number;
  /** Messages taken from the server at once (default 256). */
  batch?: number;
}

/** A stream message of a durable consumer, with the JetStream message it came as. */
type DurableMessage = StreamMessage & { readonly raw: JsMsg };

/** How long one pull waits for messages before the next is issued. */
const FETCH_EXPIRES_MS = 5_000;

/**
 * Runs a durable consumer until `signal` aborts; the returned promise settles when it has stopped
 * (it rejects only when the consumer cannot be set up: NATS unreachable, stream missing, bad options).
 *
 * Guarantees, with one process per durable:
 * - Nothing published while the process was down is lost.
 * - Messages are handled one at a time in stream order; a failure holds back what follows (see
 *   `InOrderHandler`: retried in place, parked to the PARKED stream when it can never succeed, never
 *   dropped in silence, with per-key hold-back that survives restarts).
 * - A redelivery (an ack deadline passed) is not handled twice in one process.
 * - Deliveries never overtake unacknowledged earlier ones: on start, when an earlier process left
 *   deliveries unacknowledged, and whenever a delivery goes missing (a gap in the delivery sequence,
 *   e.g. lost in a reconnect), the consumer is recreated from its ack floor, so what was not
 *   acknowledged comes back first, in order. What this process handled comes back too and is
 *   skipped; what a crashed process handled but did not acknowledge is handled again (handlers
 *   are idempotent).
 */
export async function runDurableConsumer<T>(bus: Bus, options: DurableConsumerOptions<T>): Promise<void> {
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const batch = options.batch ?? 256;
  if (!(ackWaitMs >= 300)) throw new GantryError("InvalidArgument", "durable consumer option ackWaitMs must be ≥ 300");
  if (!Number.isInteger(batch) || batch < 1) throw new GantryError("InvalidArgument", "durable consumer option batch must be an integer ≥ 1");
  if (!/^[A-Za-z0-9_-]+$/.test(options.durable)) throw new GantryError("InvalidArgument", `durable consumer option durable "${options.durable}" must be [A-Za-z0-9_-]`);
  const { signal, logger } = options;
  const durable = bus.names.consumer(options.durable);
  const settings: Partial<ConsumerConfig> = {
    filter_subject: bus.names.subject(options.filterSubject),
    ack_wait: nanos(ackWaitMs),
    // Never given up by the server: a message is retried in place or parked, by us.
    max_deliver: -1,
    max_ack_pending: 10_000,
  };
  const parking = await openParking(bus, options.durable);
  const handler = new InOrderHandler<T, DurableMessage>({
    consumer: options.durable,
    decode: options.decode,
    handler: (message, m) => options.handler(message, m.raw),
    park: parking.sink,
    parkedKeys: parking.parkedKeys,
    ...(options.orderingKey ? { orderingKey: (m: DurableMessage) => options.orderingKey?.(m.raw) } : {}),
    logger,
    signal,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    keepAlive: (m) => m.raw.working(),
    keepAliveMs: ackWaitMs / 3,
  });
  const where = { stream: options.stream, durable };
  if (parking.parkedKeys.heldKeys().size > 0) {
    logger.warn({ ...where, heldKeys: [...parking.parkedKeys.heldKeys().keys()].slice(0, 20), count: parking.parkedKeys.heldKeys().size }, "keys held back behind parked messages");
  }

  let info = await attach(bus, options.stream, durable, settings, logger);
  // The delivery sequence counts every delivery of this consumer: a jump means one never reached us.
  let nextDelivery = info.delivered.consumer_seq + 1;
  let pauseMs = options.backoff?.initialMs ?? 100;
  const maxPauseMs = options.backoff?.maxMs ?? 5_000;
  while (!signal.aborted) {
    let messages: ConsumerMessages | undefined;
    const stop = () => void messages?.close().catch(() => {});
    signal.addEventListener("abort", stop, { once: true });
    try {
      messages = await bus.js.consumers.getConsumerFromInfo(info).fetch({ max_messages: batch, expires: FETCH_EXPIRES_MS });
      if (signal.aborted) stop();
      const received = receiveBatch(messages);
      let lost = false;
      for (let m = await received.next(); m !== undefined; m = await received.next()) {
        if (m.info.deliverySequence !== nextDelivery) {
          logger.warn({ ...where, expected: nextDelivery, got: m.info.deliverySequence, seq: m.seq }, "a delivery went missing; rewinding to the ack floor to keep stream order");
          lost = true;
          break;
        }
        nextDelivery++;
        const raw: DurableMessage = { stream: options.stream, subject: m.subject, seq: m.seq, data: m.data, headers: m.headers, raw: m };
        const outcome = await handler.handle(raw);
        if (outcome === "aborted") return;
        m.ack();
      }
      await messages.close().catch(() => {});
      if (!lost && received.failure() !== undefined) throw received.failure();
      if (lost) {
        info = await rewind(bus, options.stream, durable, settings);
        nextDelivery = info.delivered.consumer_seq + 1;
      }
      pauseMs = options.backoff?.initialMs ?? 100;
    } catch (err) {
      if (signal.aborted) return;
      logger.warn({ err, ...where, retryInMs: pauseMs }, "durable consumer failed to fetch; re-attaching");
      await delay(pauseMs, signal);
      pauseMs = Math.min(pauseMs * 2, maxPauseMs);
      if (signal.aborted) return;
      // Whatever was delivered meanwhile and not acknowledged comes back first (attach rewinds).
      try {
        info = await attach(bus, options.stream, durable, settings, logger);
        nextDelivery = info.delivered.consumer_seq + 1;
      } catch (attachErr) {
        logger.warn({ err: attachErr, ...where }, "durable consumer failed to re-attach; will retry");
      }
    } finally {
      signal.removeEventListener("abort", stop);
      await messages?.close().catch(() => {});
    }
  }
}

/**
 * Takes one fetch's messages off the client's iterator as they arrive, so a message held for long
 * (retried in place) does not stall the pull: the library ends a pull it is not read from with
 * "heartbeats missed" and drops what it had queued. `next()` resolves undefined once the pull is
 * over and every message of it was taken; `failure()` says whether it ended in an error.
 */
function receiveBatch(messages: ConsumerMessages): { next(): Promise<JsMsg | undefined>; failure(): unknown } {
  const queue: JsMsg[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const m of messages) {
        queue.push(m);
        wake?.();
      }
    } catch (err) {
      failure = err;
    } finally {
      ended = true;
      wake?.();
    }
  })();
  return {
    async next() {
      while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      return queue.shift();
    },
    failure: () => failure,
  };
}

/**
 * Creates the durable, or updates its settings; when an earlier process left deliveries
 * unacknowledged, rewinds it instead, so they are redelivered before anything newer.
 */
async function attach(bus: Bus, stream: string, durable: string, settings: Partial<ConsumerConfig>, logger: Logger): Promise<ConsumerInfo> {
  let info: ConsumerInfo;
  try {
    info = await bus.jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!isConsumerNotFound(err)) throw err;
    return bus.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...settings });
  }
  if (info.num_ack_pending > 0) {
    logger.info({ stream, durable, unacknowledged: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq }, "earlier deliveries are unacknowledged; rewinding to the ack floor so they come first");
    return rewind(bus, stream, durable, settings);
  }
  return bus.jsm.consumers.update(stream, durable, settings);
}

/**
 * Recreates the durable from the first message after its ack floor: JetStream (2.9) only
 * redelivers an unacknowledged message after its ack deadline, by which time newer ones would
 * have overtaken it; a recreated consumer delivers them again in stream order at once.
 */
async function rewind(bus: Bus, stream: string, durable: string, settings: Partial<ConsumerConfig>): Promise<ConsumerInfo> {
  // Our acks reach the server before its floor is read (a floor read low only costs skipped redeliveries).
  await bus.nc.flush();
  const floor = (await bus.jsm.consumers.info(stream, durable)).ack_floor.stream_seq;
  await bus.jsm.consumers.delete(stream, durable);
  const start = floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All };
  return bus.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ...start, ...settings });
}

function isConsumerNotFound(err: unknown): boolean {
  // JetStreamApiError carries the server's err_code as `code` (10014: consumer not found).
  const e = err as { code?: unknown; message?: string };
  return e?.code === 10014 || String(e?.message).includes("consumer not found");
}

/** A decoder of protobuf payloads for `runDurableConsumer`. */
export function protobufDecoder<D extends DescMessage>(schema: D): (data: Uint8Array) => MessageShape<D> {
  return (data) => decodeMessage(schema, data);
}

/** A decoder of JSON payloads (such as relayed events) for `runDurableConsumer`. */
export function jsonDecoder<T>(data: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(data)) as T;
}

/** Options for a core NATS subscription handling protobuf messages, optionally replying. */
export interface CoreSubscriptionOptions<D extends DescMessage, R extends DescMessage> {
  subject: string;
  schema: D;
  /** Queue group: competing subscribers each get a share of the messages. */
  queue?: string;
  logger: Logger;
  signal: AbortSignal;
  /** Handles one message; when `replySchema` is set its result is sent as the reply. */
  handler: (message: MessageShape<D>, raw: Msg) => Promise<MessageShape<R> | void>;
  replySchema?: R;
  /**
   * Handle messages as they arrive, without waiting for the previous one's handler (each replies
   * when its own is done): for handlers that gather messages into batches. Default: one at a time.
   */
  concurrent?: boolean;
}

/** Subscribes on core NATS (at most once delivery) until `signal` aborts; resolves when subscribed. */
export async function subscribeCore<D extends DescMessage, R extends DescMessage>(
  bus: Bus,
  options: CoreSubscriptionOptions<D, R>,
): Promise<void> {
  const sub = bus.nc.subscribe(bus.names.subject(options.subject), options.queue === undefined ? {} : { queue: options.queue });
  options.signal.addEventListener("abort", () => sub.unsubscribe(), { once: true });
  const handle = async (m: Msg) => {
    try {
      const decoded = decodeMessage(options.schema, m.data);
      const reply = await context.with(contextFromHeaders(m.headers), () => options.handler(decoded, m));
      if (options.replySchema && reply && m.reply) m.respond(toBinary(options.replySchema, reply as MessageShape<R>));
    } catch (err) {
      options.logger.error({ err, subject: m.subject }, "core message handler failed");
    }
  };
  void (async () => {
    for await (const m of sub) {
      if (options.concurrent) void handle(m);
      else await handle(m);
    }
  })();
  await bus.nc.flush();
}
