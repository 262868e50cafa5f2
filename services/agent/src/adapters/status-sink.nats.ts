import { agentV1 } from "@gantry/proto";
import { delay } from "@gantry/platform/async";
import { messageHeaders, type Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
import { toBinary } from "@bufbuild/protobuf";
import { PubHeaders } from "@nats-io/jetstream";
import type { StatusSink } from "../app/ports.ts";

/** A status sink with `drain` (waits for everything reported so far to be acknowledged). */
export interface NatsStatusSink extends StatusSink {
  drain(timeoutMs: number): Promise<boolean>;
}

/** Tunables of a status sink (tests shorten the timeout). */
export interface StatusSinkOptions {
  /** Reports published at once, their acknowledgements outstanding together (default 256). */
  maxInFlight?: number;
  /** Longest wait for a batch's acknowledgements (default 5 s). */
  publishTimeoutMs?: number;
}

interface Pending {
  update: agentV1.TaskStatusUpdate;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Publishes TaskStatusUpdates on `agent.status.<agentId>` (JetStream) in report order. Whatever
 * is queued goes out at once (up to `maxInFlight`) with every acknowledgement outstanding
 * together, so a burst (an agent killing 200 tasks) costs one round trip, not 200 one after
 * another. Each report resolves once the stream acknowledged it. When one is not acknowledged,
 * the sink backs off (0.2 s doubling to 5 s) and publishes again from that report on: the message
 * id is the update id, so the reports after it that were stored already are not stored twice.
 * Only then can a report land after one reported later (a lost publish whose successors
 * reached the stream); the scheduler ignores a state that would move a task backwards. Stops
 * retrying when `signal` aborts (pending reports reject).
 */
export function natsStatusSink(bus: Bus, agentId: string, logger: Logger, signal: AbortSignal, options: StatusSinkOptions = {}): NatsStatusSink {
  const maxInFlight = options.maxInFlight ?? 256;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const subject = bus.names.subject(`agent.status.${agentId}`);
  const queue: Pending[] = [];
  let pumping = false;
  let tail: Promise<void> = Promise.resolve();

  const message = (u: agentV1.TaskStatusUpdate) => {
    const headers = messageHeaders({ "Gantry-Task-Id": u.taskId });
    headers.set(PubHeaders.MsgIdHdr, u.updateId);
    return { subject, data: toBinary(agentV1.TaskStatusUpdateSchema, u), headers };
  };

  const pump = async () => {
    pumping = true;
    try {
      let backoff = 200;
      for (let attempt = 1; queue.length > 0; ) {
        if (signal.aborted) {
          for (const p of queue.splice(0)) p.reject(new Error("agent stopped before the status was acknowledged"));
          return;
        }
        const batch = queue.slice(0, maxInFlight);
        const outcomes = await bus.publisher.publish(batch.map((p) => message(p.update)), publishTimeoutMs);
        let acked = 0;
        while (acked < outcomes.length && outcomes[acked]!.ok) acked++;
        queue.splice(0, acked);
        for (const p of batch.slice(0, acked)) p.resolve();
        if (acked === outcomes.length) {
          backoff = 200;
          attempt = 1;
          continue;
        }
        const failed = outcomes[acked]!;
        logger.warn({ err: failed.ok ? undefined : failed.error, task: batch[acked]!.update.taskId, attempt: attempt++, waiting: queue.length }, "status publish failed; retrying");
        await delay(backoff, signal);
        backoff = Math.min(backoff * 2, 5_000);
      }
    } finally {
      pumping = false;
    }
  };

  return {
    report(update) {
      const reported = new Promise<void>((resolve, reject) => queue.push({ update, resolve, reject }));
      tail = reported.catch(() => {});
      if (!pumping) void pump();
      return reported;
    },
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const result = await Promise.race([tail.then(() => true), timeout]);
      clearTimeout(timer);
      return result;
    },
  };
}
