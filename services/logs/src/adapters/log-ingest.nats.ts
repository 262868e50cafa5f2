import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { fromBinary } from "@bufbuild/protobuf";
import { logsV1, LOGS_STREAM } from "@gantry/proto";
import { delay } from "@gantry/platform/async";
import { ensureStream, openParking, type Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
import { chunksOfBatch } from "../domain/log-chunk.ts";
import type { IncomingBatch, LogStore } from "./log-store.postgres.ts";

/** The durable consumer of the LOGS stream that stores lines (`<cluster>_logs_ingest`). */
export const INGEST_DURABLE = "logs_ingest";

/** Counters of an ingester, for logs and the benchmark. */
export interface IngestStats {
  lines: number;
  batches: number;
  commits: number;
  duplicates: number;
  expired: number;
  parked: number;
  /** Milliseconds spent in storing transactions (the rest of the time the ingest waited for lines). */
  storeMs: number;
}

/** A running ingester. */
export interface RunningIngest {
  stats: IngestStats;
  /** Resolves when it stopped (after the signal aborted). */
  done: Promise<void>;
}

export interface IngestOptions {
  bus: Bus;
  store: LogStore;
  logger: Logger;
  signal: AbortSignal;
  /** Most lines in one commit (default 200,000). */
  maxLinesPerCommit?: number;
  /** Ack deadline (default 30 s); messages waiting on a slow commit are kept alive meanwhile. */
  ackWaitMs?: number;
}

/**
 * Runs the ingest of the LOGS stream: a durable pull consumer (explicit acks) feeds a group
 * commit: whatever arrived while the previous commit ran is stored in the next one (one binary
 * COPY of its chunks), then acknowledged, so the batch size follows the load (one message when
 * idle, hundreds of thousands of lines under load). A commit that fails is retried in place with
 * backoff, the messages kept alive, until PostgreSQL is back; nothing is acknowledged before its
 * commit. A payload that is not a LogBatch, or one whose chunks do not hold what they say
 * (domain/log-chunk.ts), is parked (PARKED stream, `parked.logs_ingest`) and acknowledged, never
 * dropped in silence. Redeliveries are skipped by the store (their chunks' positions are stored).
 */
export async function startIngest(options: IngestOptions): Promise<RunningIngest> {
  const { bus, store, logger, signal } = options;
  const maxLines = options.maxLinesPerCommit ?? 200_000;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const stream = await ensureStream(bus, LOGS_STREAM);
  const durable = bus.names.consumer(INGEST_DURABLE);
  const settings = { filter_subject: bus.names.subject("logs.>"), ack_wait: nanos(ackWaitMs), max_deliver: -1, max_ack_pending: 50_000 };
  await attachIngestConsumer(bus, stream, durable, settings, logger);
  const parking = await openParking(bus, INGEST_DURABLE);
  const stats: IngestStats = { lines: 0, batches: 0, commits: 0, duplicates: 0, expired: 0, parked: 0, storeMs: 0 };
  // One line a minute (when lines came) saying how the ingest fares: rate, commit size, time in PostgreSQL.
  let reported = { ...stats, at: performance.now() };
  const report = setInterval(() => {
    const now = performance.now();
    const lines = stats.lines - reported.lines;
    if (lines > 0) {
      const commits = stats.commits - reported.commits;
      logger.info({ lines, linesPerSec: Math.round((lines * 1000) / (now - reported.at)), commits, linesPerCommit: Math.round(lines / Math.max(1, commits)), storingPercent: Math.round((100 * (stats.storeMs - reported.storeMs)) / (now - reported.at)), waiting: queue.length }, "log ingest");
    }
    reported = { ...stats, at: now };
  }, Number(process.env.GANTRY_LOGS_INGEST_REPORT_MS ?? 60_000));
  report.unref();
  signal.addEventListener("abort", () => clearInterval(report), { once: true });
  const consumer = await bus.js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: 4_000 });
  signal.addEventListener("abort", () => void messages.close().catch(() => undefined), { once: true });

  const queue: JsMsg[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const m of messages) {
        queue.push(m);
        wake?.();
      }
    } catch (err) {
      if (!signal.aborted) logger.error({ err }, "log ingest consumer ended");
    } finally {
      ended = true;
      wake?.();
    }
  })();

  const done = (async () => {
    while (!signal.aborted) {
      if (queue.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const taken: JsMsg[] = [];
      const batches: IncomingBatch[] = [];
      let lines = 0;
      while (queue.length > 0 && lines < maxLines) {
        const m = queue.shift()!;
        taken.push(m);
        let checked;
        try {
          checked = chunksOfBatch(m.seq, fromBinary(logsV1.LogBatchSchema, m.data));
        } catch (err) {
          await park(m, `not a gantry.logs.v1.LogBatch: ${(err as Error).message}`);
          continue;
        }
        if (!checked.ok) {
          await park(m, `a malformed gantry.logs.v1.LogBatch: ${checked.reason}`);
          continue;
        }
        batches.push({ seq: m.seq, chunks: checked.chunks });
        lines += checked.lines;
      }
      for (let pauseMs = 100; !signal.aborted; pauseMs = Math.min(pauseMs * 2, 5_000)) {
        try {
          const began = performance.now();
          const outcome = await store.storeBatches(batches);
          stats.storeMs += performance.now() - began;
          stats.lines += outcome.stored;
          stats.duplicates += outcome.duplicates;
          stats.expired += outcome.expired;
          stats.batches += batches.length;
          stats.commits++;
          break;
        } catch (err) {
          logger.warn({ err, batches: batches.length, retryInMs: pauseMs }, "storing log lines failed; retrying (nothing acknowledged)");
          for (const m of taken) m.working();
          await delay(pauseMs, signal).catch(() => undefined);
        }
      }
      if (signal.aborted) break;
      for (const m of taken) m.ack();
    }
  })();

  async function park(m: JsMsg, reason: string): Promise<void> {
    for (let pauseMs = 100; !signal.aborted; pauseMs = Math.min(pauseMs * 2, 5_000)) {
      try {
        await parking.sink({ consumer: INGEST_DURABLE, message: { stream, subject: m.subject, seq: m.seq, data: m.data, headers: m.headers }, reason, attempts: 1, key: undefined, parkedAt: new Date() });
        stats.parked++;
        logger.error({ stream, seq: m.seq, subject: m.subject, reason }, "parked a log message that cannot be stored");
        return;
      } catch (parkErr) {
        logger.warn({ err: parkErr, retryInMs: pauseMs }, "parking a log message failed; retrying");
        await delay(pauseMs, signal).catch(() => undefined);
      }
    }
  }

  return { stats, done };
}

/** The highest stream sequence below which every LOGS message is stored (the ingest's ack floor). */
export async function storedThrough(bus: Bus): Promise<number> {
  const info = await bus.jsm.consumers.info(bus.names.stream(LOGS_STREAM.name), bus.names.consumer(INGEST_DURABLE));
  return info.ack_floor.stream_seq;
}

/**
 * Creates the durable, or updates it; when a previous process left deliveries unacknowledged (it
 * crashed between receiving and acknowledging), recreates it from its ack floor so they come
 * again at once rather than after their ack deadline (the store skips the chunks already committed).
 */
async function attachIngestConsumer(bus: Bus, stream: string, durable: string, settings: Partial<ConsumerConfig>, logger: Logger): Promise<void> {
  let info;
  try {
    info = await bus.jsm.consumers.info(stream, durable);
  } catch {
    await bus.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...settings });
    return;
  }
  if (info.num_ack_pending === 0) {
    await bus.jsm.consumers.update(stream, durable, settings);
    return;
  }
  const floor = info.ack_floor.stream_seq;
  logger.info({ durable, unacknowledged: info.num_ack_pending, ackFloor: floor }, "earlier deliveries are unacknowledged; restarting the ingest from the ack floor");
  await bus.jsm.consumers.delete(stream, durable);
  await bus.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ...(floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All }), ...settings });
}
