import { DeliverPolicy } from "@nats-io/jetstream";
import { metricsV1 } from "@gantry/proto";
import { delay, GantryError, InOrderHandler, openParking, protobufDecoder, watchConsumerStall, type Bus, type Logger } from "@gantry/platform";

/** The name the metrics reader parks under (`parked.metrics_ingest`). */
export const METRICS_CONSUMER = "metrics_ingest";

const RESTART_DELAY_MS = 500;
const PULL_EXPIRES_MS = 5_000;
const STALLED_AFTER_MS = 15_000;
const MAX_MESSAGES = 512;

/** What the reader hands batches to, with the stream sequence of each. */
export type BatchSink = (batch: metricsV1.MetricBatch, seq: number) => void;

/**
 * Reads the METRICS stream in order from the sequence after `fromSeq` (the last one the persisted
 * blocks hold), handing each batch to `sink`. An ordered consumer: nothing is acknowledged; the
 * service's snapshot records how far it got, and the stream keeps what it has not persisted (one
 * day, see METRICS_STREAM). A batch that cannot be decoded is parked on `parked.metrics_ingest`
 * (kept for an operator, never dropped in silence) and the reader goes on. Runs until `signal`
 * aborts and never rejects: a failed or silent consumer is replaced by one starting after the last
 * batch handled.
 */
export async function consumeMetricBatches(bus: Bus, stream: string, fromSeq: number, sink: BatchSink, logger: Logger, signal: AbortSignal): Promise<void> {
  const cursor = { last: fromSeq };
  while (!signal.aborted) {
    try {
      await readBatches(bus, stream, cursor, sink, logger, signal);
    } catch (err) {
      if (!signal.aborted) logger.warn({ err, after: cursor.last }, "reading metric batches failed; starting again");
    }
    await delay(RESTART_DELAY_MS, signal);
  }
}

async function readBatches(bus: Bus, stream: string, cursor: { last: number }, sink: BatchSink, logger: Logger, signal: AbortSignal): Promise<void> {
  const parking = await openParking(bus, METRICS_CONSUMER);
  const inOrder = new InOrderHandler<metricsV1.MetricBatch>({
    consumer: METRICS_CONSUMER,
    decode: protobufDecoder(metricsV1.MetricBatchSchema),
    handler: async (batch, raw) => sink(batch, raw.seq),
    park: parking.sink,
    parkedKeys: parking.parkedKeys,
    logger,
    signal,
    after: cursor.last,
    maxAttempts: 1,
  });
  logger.info({ after: cursor.last }, "reading metric batches");
  const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: cursor.last + 1 });
  const messages = await consumer.consume({ max_messages: MAX_MESSAGES, expires: PULL_EXPIRES_MS });
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  const watch = watchConsumerStall(messages, STALLED_AFTER_MS, stop);
  try {
    for await (const m of messages) {
      watch.alive();
      const outcome = await inOrder.handle({ stream, subject: m.subject, seq: m.seq, data: m.data, headers: m.headers });
      if (outcome === "aborted") break;
      cursor.last = m.seq;
    }
  } finally {
    watch.stop();
    signal.removeEventListener("abort", stop);
  }
  if (watch.stalled && !signal.aborted) throw new GantryError("Unavailable", `the metrics consumer gave no sign of life for ${STALLED_AFTER_MS} ms (its NATS server may be gone)`);
}
