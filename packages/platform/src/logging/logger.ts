import { pino, type Logger } from "pino";
import { trace } from "@opentelemetry/api";
import { tapStream } from "./log-tap.ts";

export type { Logger } from "pino";

/**
 * Creates the structured JSON logger of one component. Every line carries `component` and,
 * when a span is active, `trace_id`/`span_id`, so one deployment can be followed across
 * services. Add the ids that matter (app, instance, task, deployment, correlation) with
 * `logger.child({...})`. Level from `GANTRY_LOG_LEVEL` (default "info").
 */
export function createLogger(component: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.GANTRY_LOG_LEVEL ?? "info";
  return pino(
    {
      level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const ctx = span.spanContext();
        return { trace_id: ctx.traceId, span_id: ctx.spanId };
      },
    },
    // Every line also goes to the log taps (shipping to the LOGS stream), which only queue it.
    pino.multistream([
      { level: "trace", stream: options.destination ?? pino.destination({ fd: 2, sync: false }) },
      { level: "trace", stream: tapStream },
    ]),
  );
}
