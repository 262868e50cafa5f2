import { performance } from "node:perf_hooks";
import { GantryError } from "../errors/index.ts";
import type { CallInterceptor } from "./pipeline.ts";
import { PassThroughStatus, grpcStatusFor, grpcStatusName } from "./status-mapping.ts";

/**
 * Writes one structured line per call when it ends: method and correlation id (bound by the
 * correlation step), `code`, `durationMs`, `principal`. Level `info` for OK and caller mistakes,
 * `warn` for Unavailable, `error` with the stack of the original error for Internal.
 */
export function loggingInterceptor(): CallInterceptor {
  return async (call, next) => {
    const started = performance.now();
    const line = (code: number) => ({
      code: grpcStatusName(code),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      principal: call.principal?.name,
      cancelled: call.signal.aborted || undefined,
    });
    try {
      const result = await next();
      call.logger.debug(line(0), "call ok");
      return result;
    } catch (err) {
      if (err instanceof PassThroughStatus) {
        call.logger.info({ ...line(err.status.code), upstream: true }, err.status.details);
      } else if (err instanceof GantryError && err.code !== "Internal") {
        const level = err.code === "Unavailable" ? "warn" : "info";
        call.logger[level]({ ...line(grpcStatusFor(err.code)), violations: err.violations.length || undefined }, err.message);
      } else {
        const cause = err instanceof GantryError && err.cause !== undefined ? err.cause : err;
        call.logger.error({ ...line(grpcStatusFor("Internal")), err: cause }, "call failed with an internal error");
      }
      throw err;
    }
  };
}
