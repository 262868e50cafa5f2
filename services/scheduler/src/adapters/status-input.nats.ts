import { DeliverPolicy } from "@nats-io/jetstream";
import { agentV1 } from "@gantry/proto";
import { InOrderHandler, openParking, protobufDecoder, type Bus, type Logger } from "@gantry/platform";
import type { Scheduler } from "../app/scheduler.ts";

/** The name the scheduler's status reader parks under (`parked.scheduler_status`). */
export const STATUS_CONSUMER = "scheduler_status";

/**
 * Agents' status reports, read by the leader in AGENT_STATUS order from `fromSequence` (the
 * sequence after the last report the log records: what a previous leader recorded is not handled
 * twice, and nothing after it is skipped). An ordered consumer: no acknowledgements to lose, no
 * redeliveries to reorder, nothing held by a consumer that died. Each report goes through the
 * in-order discipline: a failure is retried in place (nothing behind it is handled first); one
 * that can never be handled (undecodable, or refused as invalid) is parked on
 * `parked.scheduler_status`, and the later reports of the same task are parked behind it, never
 * applied out of order. Runs until `signal` aborts (the term ended).
 */
export async function consumeStatusReports(bus: Bus, stream: string, scheduler: Scheduler, fromSequence: bigint, logger: Logger, signal: AbortSignal): Promise<void> {
  const parking = await openParking(bus, STATUS_CONSUMER);
  const handler = new InOrderHandler<agentV1.TaskStatusUpdate>({
    consumer: STATUS_CONSUMER,
    decode: protobufDecoder(agentV1.TaskStatusUpdateSchema),
    handler: (update, raw) => scheduler.onTaskStatus(update, BigInt(raw.seq)),
    park: parking.sink,
    parkedKeys: parking.parkedKeys,
    orderingKey: (raw) => raw.headers?.get("Gantry-Task-Id") || undefined,
    logger,
    signal,
  });
  const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(fromSequence) });
  const messages = await consumer.consume({ max_messages: 512 });
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  try {
    for await (const m of messages) {
      if ((await handler.handle({ stream, subject: m.subject, seq: m.seq, data: m.data, headers: m.headers })) === "aborted") break;
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
