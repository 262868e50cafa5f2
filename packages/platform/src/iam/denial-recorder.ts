import { create } from "@bufbuild/protobuf";
import { eventsV1Auth } from "@gantry/proto";
import type { EventStore } from "../eventstore/event-store.ts";
import { eventOf } from "../eventstore/protobuf-events.ts";
import type { AccessAudit } from "../grpc/types.ts";
import type { Logger } from "../logging/index.ts";

/**
 * Records every refusal as an `AccessDenied` event (stream `denials-<YYYY-MM-DD>`, the caller as
 * acting principal), so the log proves who tried what. Appending never delays or changes the
 * refusal; a failed append is logged.
 */
export function recordDenials(store: Pick<EventStore, "append">, logger: Logger): AccessAudit {
  return {
    denied(ctx, d) {
      const event = create(eventsV1Auth.AccessDeniedSchema, { principal: d.principal, resourceId: d.resource, action: d.action, method: d.method });
      const day = new Date().toISOString().slice(0, 10);
      store
        .append(`denials-${day}`, "any", [eventOf(eventsV1Auth.AccessDeniedSchema, event, { principal: d.principal, correlationId: ctx.correlationId })])
        .catch((err: unknown) => logger.error({ err, denial: d }, "recording a refusal failed"));
    },
  };
}
