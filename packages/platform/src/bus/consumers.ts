import { AckPolicy, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { nanos, type Msg } from "@nats-io/nats-core";
import { context } from "@opentelemetry/api";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import type { Logger } from "../logging/index.ts";
import type { Bus } from "./bus.ts";
import { contextFromHeaders, decodeMessage } from "./messages.ts";

/** A durable, explicitly acknowledged pull consumer on one filter subject (NATS 2.9: one filter per consumer). */
export interface DurableConsumerOptions<T> {
  /** Full stream name (as returned by `ensureStream`). */
  stream: string;
  /** Durable name suffix; the cluster prefixes it. Competing processes with the same name share the work. */
  durable: string;
  /** Subject suffix filter, e.g. "agent.status.>". */
  filterSubject: string;
  /** Decodes a payload (`protobufDecoder(schema)` or `jsonDecoder`); throwing marks the message poison. */
  decode: (data: Uint8Array) => T;
  /** Handles one message; resolving acks it, throwing redelivers it after `redeliverDelayMs`. */
  handler: (message: T, raw: JsMsg) => Promise<void>;
  logger: Logger;
  signal: AbortSignal;
  /** Delay before a failed message is redelivered (default 1 s). */
  redeliverDelayMs?: number;
  /** Messages taken from the server at once (default 256). */
  batch?: number;
  /** Deliveries of one message before it is given up (default 60). */
  maxDeliver?: number;
}

/**
 * Runs a durable consumer until `signal` aborts: nothing published while the process was down
 * is lost. A message that cannot be decoded is logged and terminated (never retried forever).
 * Returns a promise that settles when the loop has stopped.
 */
export async function runDurableConsumer<T>(bus: Bus, options: DurableConsumerOptions<T>): Promise<void> {
  const durable = bus.names.consumer(options.durable);
  const filter = bus.names.subject(options.filterSubject);
  const settings = {
    filter_subject: filter,
    ack_wait: nanos(30_000),
    // A message no handler can take is given up after this many tries (logged), never retried forever.
    max_deliver: options.maxDeliver ?? 60,
    max_ack_pending: 10_000,
  };
  try {
    await bus.jsm.consumers.info(options.stream, durable);
    await bus.jsm.consumers.update(options.stream, durable, settings);
  } catch (err) {
    if (!isConsumerNotFound(err)) throw err;
    await bus.jsm.consumers.add(options.stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...settings });
  }
  if (options.signal.aborted) return;
  const consumer = await bus.js.consumers.get(options.stream, durable);
  const messages = await consumer.consume({ max_messages: options.batch ?? 256 });
  const stop = () => void messages.close();
  options.signal.addEventListener("abort", stop, { once: true });
  // The signal may have fired while the consumer was being set up.
  if (options.signal.aborted) stop();
  try {
    for await (const m of messages) {
      let decoded: T;
      try {
        decoded = options.decode(m.data);
      } catch (err) {
        options.logger.error({ err, subject: m.subject, seq: m.seq }, "undecodable message terminated");
        m.term();
        continue;
      }
      try {
        await context.with(contextFromHeaders(m.headers), () => options.handler(decoded, m));
        m.ack();
      } catch (err) {
        const lastTry = m.info.deliveryCount >= settings.max_deliver;
        options.logger[lastTry ? "error" : "warn"]({ err, subject: m.subject, seq: m.seq, deliveries: m.info.deliveryCount }, lastTry ? "message handler failed; giving up" : "message handler failed; will redeliver");
        m.nak(options.redeliverDelayMs ?? 1_000);
      }
    }
  } finally {
    options.signal.removeEventListener("abort", stop);
  }
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
}

/** Subscribes on core NATS (at most once delivery) until `signal` aborts; resolves when subscribed. */
export async function subscribeCore<D extends DescMessage, R extends DescMessage>(
  bus: Bus,
  options: CoreSubscriptionOptions<D, R>,
): Promise<void> {
  const sub = bus.nc.subscribe(bus.names.subject(options.subject), options.queue === undefined ? {} : { queue: options.queue });
  options.signal.addEventListener("abort", () => sub.unsubscribe(), { once: true });
  void (async () => {
    for await (const m of sub) {
      try {
        const decoded = decodeMessage(options.schema, m.data);
        const reply = await context.with(contextFromHeaders(m.headers), () => options.handler(decoded, m));
        if (options.replySchema && reply && m.reply) m.respond(toBinary(options.replySchema, reply as MessageShape<R>));
      } catch (err) {
        options.logger.error({ err, subject: m.subject }, "core message handler failed");
      }
    }
  })();
  await bus.nc.flush();
}
