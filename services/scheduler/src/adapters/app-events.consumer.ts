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
}

/**
 * Feeds the registry's app events, relayed to JetStream, into the scheduler through a durable
 * consumer: events published while the scheduler was down are delivered when it returns, and
 * the scheduler's fold ignores the ones it already has.
 */
export function consumeAppEvents(bus: Bus, eventsStream: string, scheduler: Scheduler, logger: Logger, signal: AbortSignal): Promise<void> {
  return runDurableConsumer<RelayedEvent>(bus, {
    stream: eventsStream,
    durable: "scheduler_apps",
    filterSubject: "events.app.>",
    decode: jsonDecoder,
    handler: (e) =>
      scheduler.onAppEvent({ streamId: e.streamId, streamVersion: Number(e.streamVersion), type: e.type, data: e.data, recordedAt: new Date(e.recordedAt) }),
    logger,
    signal,
  });
}
