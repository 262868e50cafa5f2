import { eventOf, injectTraceparent, type EventStore } from "@gantry/platform";
import type { DecisionAppender } from "../app/ports.ts";

/** The principal the scheduler's own events are recorded under. */
export const SCHEDULER_PRINCIPAL = "svc:scheduler";

/**
 * Appends a scheduler decision to the log: one transaction (`EventStore.transaction`), fenced by
 * the leader's lease, with trace context, principal and the leader's epoch on every event. A commit whose connection
 * was lost is resolved by the store before this returns (see `runTransaction`).
 */
export function eventStoreAppender(store: EventStore): DecisionAppender {
  return {
    async appendBatch(batches, fence) {
      const trace = injectTraceparent();
      const appends = batches.map((b) => ({
        streamId: b.streamId,
        expectedVersion: b.expectedVersion,
        events: b.events.map((e) =>
          eventOf(e.schema, e.message, {
            principal: SCHEDULER_PRINCIPAL,
            leaderEpoch: fence.epoch.toString(),
            ...(e.correlationId ? { correlationId: e.correlationId } : {}),
            ...(e.causationId ? { causationId: e.causationId } : {}),
            ...trace,
            ...(e.traceparent ? { traceparent: e.traceparent } : {}),
          }),
        ),
      }));
      const payloads = appends.map((a) => a.events.map((e) => e.data));
      return store.transaction(async (tx) => {
        await tx.appendMany(appends);
        return { recordedAt: tx.recordedAt, payloads };
      }, { fence });
    },
  };
}
