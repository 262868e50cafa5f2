import { DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { agentV1 } from "@gantry/proto";
import { decodeMessage, delay, InOrderHandler, isPermanentFailure, openParking, protobufDecoder, type Bus, type Logger } from "@gantry/platform";
import type { Scheduler } from "../app/scheduler.ts";
import type { StatusReport } from "../app/task-status.ts";

/** The name the scheduler's status reader parks under (`parked.scheduler_status`). */
export const STATUS_CONSUMER = "scheduler_status";

/** Reports recorded in one transaction at most. */
const MAX_BATCH = 1_000;

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
 * are parked behind it, never applied out of order. Runs until `signal` aborts (the term ended).
 */
export async function consumeStatusReports(bus: Bus, stream: string, scheduler: Scheduler, fromSequence: bigint, logger: Logger, signal: AbortSignal): Promise<void> {
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

  const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(fromSequence) });
  const messages = await consumer.consume({ max_messages: MAX_BATCH });
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  try {
    let batch: JsMsg[] = [];
    for await (const m of messages) {
      batch.push(m);
      // Take everything already delivered together.
      if (messages.getPending() > 0 && batch.length < MAX_BATCH) continue;
      if (!(await record(batch))) break;
      batch = [];
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
