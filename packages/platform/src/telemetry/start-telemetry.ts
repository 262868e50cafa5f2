import { context, propagation, trace } from "@opentelemetry/api";

/** The running telemetry of one process. */
export interface Telemetry {
  /**
   * `sdk`: the OpenTelemetry NodeSDK exports spans (OTLP or whatever `OTEL_TRACES_EXPORTER` says);
   * `basic`: spans get real ids and propagate (W3C trace context) but are exported nowhere.
   */
  readonly mode: "sdk" | "basic";
  /**
   * Flushes and stops exporting, and unregisters the global providers. Never rejects: spans not
   * exported within `timeoutMs` (default 3000; the OTLP exporter retries an absent collector for
   * about 8 s) are dropped, as are export errors. Safe to call twice.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

let running: Promise<Telemetry> | undefined;

/**
 * Starts tracing for the process named `serviceName`, once (later calls return the same handle
 * until it is shut down).
 *
 * When `OTEL_EXPORTER_OTLP_ENDPOINT` is set or `GANTRY_TRACING=1`, starts the OpenTelemetry
 * NodeSDK (spans exported per the `OTEL_*` variables). Metrics and logs exporters stay off unless
 * `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` name one explicitly: the SDK's default OTLP
 * metrics exporter makes `shutdown()` wait about 8 s for a collector that is usually absent.
 *
 * Otherwise registers only a tracer provider without exporters, the W3C trace-context and baggage
 * propagators and an AsyncLocalStorage context manager (~100 ms of imports, no network), so trace
 * ids still flow across gRPC and NATS and appear in logs.
 *
 * Async because both paths load their SDK lazily: importing `@gantry/platform` costs nothing
 * for processes that never trace.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  running ??= start(serviceName, env).catch((err: unknown) => {
    running = undefined;
    throw err;
  });
  return running;
}

async function start(serviceName: string, env: NodeJS.ProcessEnv): Promise<Telemetry> {
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) || env.GANTRY_TRACING === "1";
  const handle = exporting ? await startSdk(serviceName, env) : await startBasic();
  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    mode: handle.mode,
    shutdown(timeoutMs = 3000) {
      if (stopped) return stopped;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      const flushed = handle.stop().catch(() => {}); // telemetry failures never keep a process from exiting
      stopped = Promise.race([flushed, deadline]).finally(() => {
        clearTimeout(timer);
        trace.disable();
        propagation.disable();
        context.disable();
        running = undefined;
      });
      return stopped;
    },
  };
  return telemetry;
}

async function startSdk(serviceName: string, env: NodeJS.ProcessEnv) {
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const explicitly = (name: string) => {
    const value = env[name]?.trim();
    return value !== undefined && value !== "" && value !== "none";
  };
  const sdk = new NodeSDK({
    serviceName,
    instrumentations: [],
    // An empty list means "none"; leaving the option out lets the SDK read OTEL_*_EXPORTER.
    ...(explicitly("OTEL_METRICS_EXPORTER") ? {} : { metricReaders: [] }),
    ...(explicitly("OTEL_LOGS_EXPORTER") ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  return { mode: "sdk" as const, stop: () => sdk.shutdown() };
}

async function startBasic() {
  // Dependencies of @opentelemetry/sdk-node, loaded without the SDK's exporters (~100 ms instead of ~300 ms).
  const [{ TracerProvider }, { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator }, { AsyncLocalStorageContextManager }] =
    await Promise.all([
      import("@opentelemetry/sdk-trace"),
      import("@opentelemetry/core"),
      import("@opentelemetry/context-async-hooks"),
    ]);
  const provider = new TracerProvider();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  return { mode: "basic" as const, stop: () => provider.shutdown() };
}
