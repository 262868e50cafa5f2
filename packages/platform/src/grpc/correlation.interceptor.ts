import { randomUUID } from "node:crypto";
import { withCorrelationId, type CallInterceptor } from "./pipeline.ts";

/** Metadata key of the correlation id that follows one operation across services. */
export const CORRELATION_ID_KEY = "x-correlation-id";

// Caller-chosen ids end up in every log line: accept only short, plain ones.
const ACCEPTABLE = /^[A-Za-z0-9._:@/-]{1,128}$/;

/**
 * Takes the correlation id from `x-correlation-id` (or makes a new UUID when absent or unfit),
 * binds it and the method into the call's logger, and makes it current for downstream clients.
 */
export function correlationInterceptor(): CallInterceptor {
  return (call, next) => {
    const given = call.metadata[CORRELATION_ID_KEY];
    call.correlationId = given !== undefined && ACCEPTABLE.test(given) ? given : randomUUID();
    call.logger = call.logger.child({ method: call.method.path, correlationId: call.correlationId });
    return withCorrelationId(call.correlationId, next);
  };
}
