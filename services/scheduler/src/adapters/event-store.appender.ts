import { eventOf, injectTraceparent, type EventStore } from "@gantry/platform";
import type { EventAppender } from "../app/ports.ts";

/** The principal the scheduler's own events are recorded under. */
export const SCHEDULER_PRINCIPAL = "svc:scheduler";

/** Appends a scheduler decision to the log in one transaction (appendManyOrThrow), with trace context and principal. */
export function eventStoreAppender(store: EventStore): EventAppender {
  return {
    async appendBatch(batches) {
      const trace = injectTraceparent();
      await store.appendManyOrThrow(
        batches.map((b) => ({
          streamId: b.streamId,
          expectedVersion: b.expectedVersion,
          events: b.events.map((e) =>
            eventOf(e.schema, e.message, {
              principal: SCHEDULER_PRINCIPAL,
              ...(e.correlationId ? { correlationId: e.correlationId } : {}),
              ...(e.causationId ? { causationId: e.causationId } : {}),
              ...trace,
              ...(e.traceparent ? { traceparent: e.traceparent } : {}),
            }),
          ),
        })),
      );
    },
  };
}
