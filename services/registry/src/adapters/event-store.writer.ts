import type { JsonObject } from "@bufbuild/protobuf";
import type { EventStore } from "@gantry/platform";
import type { AppEventWriter, CommandContext } from "../app/app-commands.ts";

/** The registry's writes to the event log: one event per command, with principal, correlation and trace context. */
export function eventStoreWriter(store: EventStore): AppEventWriter {
  return {
    async append(streamId: string, expectedVersion: number, type: string, data: JsonObject, ctx: CommandContext) {
      const metadata = { principal: ctx.principal, correlationId: ctx.correlationId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
      const result = await store.appendOrThrow(streamId, expectedVersion, [{ type, data, metadata }]);
      return result.nextVersion;
    },
  };
}
