import type { EventStore, StreamAppend } from "@gantry/platform";
import type { ChangeWriter, CommandContext } from "../app/change-runner.ts";

/**
 * The registry's writes to the event log: every stream of one change in one `appendManyOrThrow`
 * transaction, each event stamped with the acting principal, the correlation id and the trace
 * context. A stream not at its expected version fails the whole change with ConcurrencyError.
 */
export function eventStoreWriter(store: EventStore): ChangeWriter {
  return {
    async appendMany(appends: StreamAppend[], ctx: CommandContext) {
      const metadata = { principal: ctx.principal, correlationId: ctx.correlationId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
      await store.appendManyOrThrow(appends.map((a) => ({ ...a, events: a.events.map((e) => ({ ...e, metadata: { ...e.metadata, ...metadata } })) })));
    },
  };
}
