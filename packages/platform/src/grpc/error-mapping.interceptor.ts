import { GantryError } from "../errors/index.ts";
import type { CallInterceptor } from "./pipeline.ts";
import { PassThroughStatus } from "./status-mapping.ts";

/**
 * Turns anything a handler throws that is not a GantryError into Internal "internal error
 * (correlation id …)", keeping the original as `cause` for the log line, so that no stack trace,
 * SQL or path reaches the client. GantryErrors and proxied statuses pass unchanged; the gRPC status
 * itself is chosen in status-mapping.ts.
 */
export function errorMappingInterceptor(): CallInterceptor {
  return async (call, next) => {
    try {
      return await next();
    } catch (err) {
      if (err instanceof GantryError || err instanceof PassThroughStatus) throw err;
      throw new GantryError("Internal", `internal error (correlation id ${call.correlationId})`, { cause: err });
    }
  };
}
