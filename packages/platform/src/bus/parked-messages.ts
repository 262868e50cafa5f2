import { PARKED_STREAM } from "@gantry/proto";
import type { StoredMsg } from "@nats-io/jetstream";
import { GantryError } from "../errors/index.ts";
import type { Bus } from "./bus.ts";
import { ParkedHeaders, parkedSubjectSuffix } from "./parked-stream.ts";

/** One parked message as an operator sees it. */
export interface ParkedMessageSummary {
  /** Its sequence in the PARKED stream. */
  parkedSeq: number;
  /** Consumer that parked it. */
  consumer: string;
  /** Stream, subject and sequence of the original message. */
  stream: string;
  subject: string;
  seq: number;
  /** Ordering key of the original; undefined when it has none. */
  key: string | undefined;
  /** The last error's message, or `held back behind parked message <stream>#<seq>`. */
  reason: string;
  /** Handler attempts made (0: held back untried). */
  attempts: number;
  parkedAt: Date;
}

/** How many messages one consumer parked (its subject in the PARKED stream). */
export interface ParkedConsumerCount {
  consumer: string;
  /** Full subject, `<cluster>.parked.<consumer>`. */
  subject: string;
  count: number;
}

/** What is parked in one cluster: totals, per consumer, and the latest messages. */
export interface ParkedMessagesReport {
  /** Messages in the PARKED stream (0 when it does not exist yet). */
  total: number;
  /** Per consumer, most parked first. */
  byConsumer: ParkedConsumerCount[];
  /** The most recent parked messages, newest first, at most `limit`. */
  recent: ParkedMessageSummary[];
}

/** Options of `listParkedMessages`. */
export interface ListParkedOptions {
  /** How many of the most recent parked messages to return (default 20, at most 1,000). */
  limit?: number;
}

/**
 * Reports what the cluster's consumers parked: counts from the PARKED stream's info (per subject),
 * and the last `limit` messages read back by sequence (headers only matter; payloads are not
 * returned). Read-only, cheap enough for an operator's command. An absent PARKED stream reads as
 * nothing parked. Rejects an invalid limit (InvalidArgument) and NATS failures as they come.
 */
export async function listParkedMessages(bus: Pick<Bus, "jsm" | "names">, options: ListParkedOptions = {}): Promise<ParkedMessagesReport> {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 0 || limit > 1_000) {
    throw new GantryError("InvalidArgument", "limit must be an integer from 0 to 1000", { violations: [{ path: "/limit", errors: ["must be an integer from 0 to 1000"] }] });
  }
  const stream = bus.names.stream(PARKED_STREAM.name);
  const prefix = bus.names.subject(parkedSubjectSuffix(""));
  let info;
  try {
    info = await bus.jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
  } catch (err) {
    if (isStreamNotFound(err)) return { total: 0, byConsumer: [], recent: [] };
    throw err;
  }
  const byConsumer = Object.entries(info.state.subjects ?? {})
    .map(([subject, count]) => ({ consumer: subject.slice(prefix.length), subject, count }))
    .sort((a, b) => b.count - a.count || a.consumer.localeCompare(b.consumer));
  const recent: ParkedMessageSummary[] = [];
  // Walk back from the last sequence; interior deletions (an operator removing one) are skipped,
  // and there are at most num_deleted of them, so the walk is bounded.
  const { first_seq: first, last_seq: last } = info.state;
  for (let seq = last; seq >= first && seq > 0 && recent.length < limit; seq--) {
    const m = await bus.jsm.streams.getMessage(stream, { seq });
    if (m) recent.push(summarize(m, prefix));
  }
  return { total: info.state.messages, byConsumer, recent };
}

function summarize(m: StoredMsg, prefix: string): ParkedMessageSummary {
  const h = m.header;
  const get = (k: string) => h?.get(k) ?? "";
  return {
    parkedSeq: m.seq,
    consumer: get(ParkedHeaders.consumer) || m.subject.slice(prefix.length),
    stream: get(ParkedHeaders.stream),
    subject: get(ParkedHeaders.subject),
    seq: Number(get(ParkedHeaders.seq)),
    key: get(ParkedHeaders.key) || undefined,
    reason: get(ParkedHeaders.reason),
    attempts: Number(get(ParkedHeaders.attempts)),
    parkedAt: new Date(get(ParkedHeaders.parkedAt) || m.timestamp),
  };
}

function isStreamNotFound(err: unknown): boolean {
  // JetStreamApiError carries the server's err_code as `code` (10059: stream not found).
  const e = err as { code?: unknown; message?: string };
  return e?.code === 10059 || String(e?.message).includes("stream not found");
}
