import { DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { agentV1 } from "@gantry/proto";
import { decodeMessage, delay, deliveredBatches, GantryError, InOrderHandler, isPermanentFailure, openParking, protobufDecoder, watchConsumerStall, type Bus, type Logger } from "@gantry/platform";
import type { Scheduler } from "../app/scheduler.ts";
import type { StatusReport } from "../app/task-status.ts";

/** The name the scheduler's status reader parks under (`parked.scheduler_status`). */
export const STATUS_CONSUMER = "scheduler_status";

/** What the reader hands status reports to: the scheduler. */
export type StatusRecorder = Pick<Scheduler, "onTaskStatus" | "onTaskStatuses">;

/** Reports recorded in one transaction at most. */
const MAX_BATCH = 1_000;

/** Pause before the reader starts again after it failed. */
const RESTART_DELAY_MS = 500;

/** How long a pull for reports waits before it is renewed; the server sends heartbeats every half of it meanwhile. */
const PULL_EXPIRES_MS = 5_000;

/** A consumer that gave no report, heartbeat or renewed pull for this long is stuck: the reader starts again with a new one. */
const STALLED_AFTER_MS = 10_000;

/**
 * Agents' status reports, read by the leader in AGENT_STATUS order from `fromSequence` (the
 * sequence after the last report the log records: what a previous leader recorded is not handled
 * twice, and nothing after it is skipped). An ordered consumer: no acknowledgements to lose, no
 * redeliveries to reorder, nothing held by a consumer that died.
 *
 * Reports are recorded in batches: whatever has arrived is taken together (up to 1,000) and
 * written in one transaction. A batch that fails for a passing reason (Postgres away) is retried
 * whole, in place, until it is written or the term ends: nothing behind it is handled first. A
 * report that can never be handled (undecodable, or refused as invalid) goes through the in-order
 * discipline one by one: parked on `parked.scheduler_status`, and the same task's later reports
 * are parked behind it, never applied out of order. Runs until `signal` aborts (the term ended),
 * and never rejects: when the reader fails, it starts again from the first report not recorded
 * yet. On a NATS 2.9 cluster that lost a server, JetStream may place the new consumer on the dead
 * server and never answer, and a consumer that was on it stops without a word (see
 * watchConsumerStall): both end the reader, and the next one makes a new consumer.
 */
export async function consumeStatusReports(bus: Bus, stream: string, scheduler: StatusRecorder, fromSequence: bigint, logger: Logger, signal: AbortSignal): Promise<void> {
  const cursor = { next: fromSequence };
  while (!signal.aborted) {
    try {
      await readStatusReports(bus, stream, scheduler, cursor, logger, signal);
    } catch (err) {
      if (!signal.aborted) logger.warn({ err, from: cursor.next.toString() }, "reading status reports failed; starting again");
    }
    await delay(RESTART_DELAY_MS, signal);
  }
}

/** One run of the reader from `cursor.next`, moving it past every batch recorded; resolves when the term ended, rejects when the consumer fails. */
async function readStatusReports(bus: Bus, stream: string, scheduler: StatusRecorder, cursor: { next: bigint }, logger: Logger, signal: AbortSignal): Promise<void> {
  const parking = await openParking(bus, STATUS_CONSUMER);
  const keyOf = (raw: { headers: JsMsg["headers"] | undefined }) => raw.headers?.get("Gantry-Task-Id") || undefined;
  const oneByOne = new InOrderHandler<agentV1.TaskStatusUpdate>({
    consumer: STATUS_CONSUMER,
    decode: protobufDecoder(agentV1.TaskStatusUpdateSchema),
    handler: (update, raw) => scheduler.onTaskStatus(update, BigInt(raw.seq)),
    park: parking.sink,
    parkedKeys: parking.parkedKeys,
    orderingKey: keyOf,
    logger,
    signal,
  });
  const asMessage = (m: JsMsg) => ({ stream, subject: m.subject, seq: m.seq, data: m.data, headers: m.headers });

  /** Records a batch; false when the term ended first. */
  const record = async (batch: JsMsg[]): Promise<boolean> => {
    const reports: StatusReport[] = [];
    const single: JsMsg[] = [];
    for (const m of batch) {
      const key = keyOf(m);
      if (key !== undefined && parking.parkedKeys.heldBehind(key)) {
        single.push(m);
        continue;
      }
      try {
        reports.push({ update: decodeMessage(agentV1.TaskStatusUpdateSchema, m.data), sequence: BigInt(m.seq) });
      } catch {
        single.push(m);
      }
    }
    if (single.length > 0) {
      // A batch with a report that cannot be decoded, or is held back, goes one report at a time.
      for (const m of batch) if ((await oneByOne.handle(asMessage(m))) === "aborted") return false;
      return true;
    }
    for (let backoff = 100; !signal.aborted; backoff = Math.min(backoff * 2, 5_000)) {
      try {
        await scheduler.onTaskStatuses(reports);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        if (isPermanentFailure(err)) {
          for (const m of batch) if ((await oneByOne.handle(asMessage(m))) === "aborted") return false;
          return true;
        }
        logger.warn({ err, reports: reports.length, from: batch[0]!.seq }, "status reports not recorded; retrying");
        await delay(backoff, signal);
      }
    }
    return false;
  };

  logger.info({ from: cursor.next.toString() }, "reading status reports");
  const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(cursor.next) });
  const messages = await consumer.consume({ max_messages: MAX_BATCH, expires: PULL_EXPIRES_MS });
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  const watch = watchConsumerStall(messages, STALLED_AFTER_MS, stop);
  try {
    // Everything already delivered is taken together.
    for await (const batch of deliveredBatches(messages, MAX_BATCH)) {
      watch.alive();
      if (!(await record(batch))) break;
      cursor.next = BigInt(batch.at(-1)!.seq) + 1n;
    }
  } finally {
    watch.stop();
    signal.removeEventListener("abort", stop);
  }
  if (watch.stalled && !signal.aborted) throw new GantryError("Unavailable", `the status consumer gave no sign of life for ${STALLED_AFTER_MS} ms (its NATS server may be gone)`);
}
