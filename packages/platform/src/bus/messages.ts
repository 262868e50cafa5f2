import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";
import { context, propagation } from "@opentelemetry/api";
import { PubHeaders, type PubAck } from "@nats-io/jetstream";
import type { Bus } from "./bus.ts";

/** Options for publishing one protobuf message. */
export interface PublishOptions {
  /** JetStream message id: a second publish with the same id inside the duplicate window is dropped. */
  msgId?: string;
  /** Extra headers (e.g. ids an operator filters by). */
  headers?: Record<string, string>;
  /** Longest wait for the stream's acknowledgement (default 5 s). */
  timeoutMs?: number;
}

/** Builds NATS headers carrying the active trace context (W3C traceparent) plus `extra`. */
export function messageHeaders(extra: Record<string, string> = {}): MsgHdrs {
  const h = natsHeaders();
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [k, v] of Object.entries({ ...carrier, ...extra })) h.set(k, v);
  return h;
}

/** Reads the trace context carried in NATS headers, for `context.with(...)`. */
export function contextFromHeaders(h: MsgHdrs | undefined) {
  const carrier: Record<string, string> = {};
  if (h) for (const k of h.keys()) carrier[k.toLowerCase()] = h.get(k);
  return propagation.extract(context.active(), carrier);
}

/**
 * Publishes a protobuf message to a JetStream subject (suffix) and waits for the stream's
 * acknowledgement; rejects with the server's refusal, "no stream listens", or the timeout.
 * Through the bus's pipelined publisher: many callers publishing at once share one reply
 * subscription, and no request state is built per message.
 */
export async function publishDurable<D extends DescMessage>(
  bus: Bus,
  subjectSuffix: string,
  schema: D,
  message: MessageShape<D>,
  options: PublishOptions = {},
): Promise<PubAck> {
  const headers = messageHeaders(options.headers);
  if (options.msgId !== undefined) headers.set(PubHeaders.MsgIdHdr, options.msgId);
  const [outcome] = await bus.publisher.publish([{ subject: bus.names.subject(subjectSuffix), data: toBinary(schema, message), headers }], options.timeoutMs ?? 5_000);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.ack;
}

/** Publishes a protobuf message on core NATS (at most once; for heartbeats and commands with their own recovery). */
export function publishCore<D extends DescMessage>(
  bus: Bus,
  subjectSuffix: string,
  schema: D,
  message: MessageShape<D>,
  extraHeaders: Record<string, string> = {},
): void {
  bus.nc.publish(bus.names.subject(subjectSuffix), toBinary(schema, message), { headers: messageHeaders(extraHeaders) });
}

/** Sends a protobuf request on core NATS and decodes the protobuf reply; rejects on timeout or no responders. */
export async function requestReply<Req extends DescMessage, Res extends DescMessage>(
  bus: Bus,
  subjectSuffix: string,
  requestSchema: Req,
  request: MessageShape<Req>,
  responseSchema: Res,
  timeoutMs = 5_000,
): Promise<MessageShape<Res>> {
  const reply = await bus.nc.request(bus.names.subject(subjectSuffix), toBinary(requestSchema, request), {
    timeout: timeoutMs,
    headers: messageHeaders(),
  });
  return fromBinary(responseSchema, reply.data);
}

/** Decodes a protobuf payload; a malformed payload throws, which callers treat as a poison message. */
export function decodeMessage<D extends DescMessage>(schema: D, data: Uint8Array): MessageShape<D> {
  return fromBinary(schema, data);
}
