import type { JsonObject } from "@bufbuild/protobuf";
import { jsonDecoder, runDurableConsumer, type Bus, type Logger } from "@gantry/platform";
import type { Scheduler } from "../app/scheduler.ts";

/** An event as the relay publishes it on `<cluster>.events.<streamType>.<eventType>`. */
interface RelayedEvent {
  streamId: string;
  streamVersion: number;
  type: string;
  data: JsonObject;
  recordedAt: string;
  metadata?: { traceparent?: string; correlationId?: string };
}

/**
 * Feeds every relayed event of the log into the scheduler through one durable consumer (one
 * consumer, so app changes and the deployments that carry them arrive in commit order): events
 * published while the scheduler was down are delivered when it returns, and the scheduler's
 * fold ignores the ones it already has (its own included).
 */
export function consumeLogEvents(bus: Bus, eventsStream: string, scheduler: Scheduler, logger: Logger, signal: AbortSignal): Promise<void> {
  return runDurableConsumer<RelayedEvent>(bus, {
    stream: eventsStream,
    durable: "scheduler_log",
    filterSubject: "events.>",
    decode: jsonDecoder,
    handler: (e) =>
      scheduler.onLogEvent({
        streamId: e.streamId,
        streamVersion: Number(e.streamVersion),
        type: e.type,
        data: e.data,
        recordedAt: new Date(e.recordedAt),
        ...(e.metadata ? { metadata: e.metadata } : {}),
      }),
    logger,
    signal,
  });
}
