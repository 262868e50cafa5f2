import assert from "node:assert/strict";
import { test } from "node:test";
import { metrics, trace } from "@opentelemetry/api";
import { extractContext, injectTraceparent, startTelemetry, tracer, withExtractedContext } from "./index.ts";

const remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

test("without OTEL/GANTRY_TRACING env: basic mode, real trace ids, W3C propagation both ways", async () => {
  const telemetry = await startTelemetry("unit", {});
  try {
    assert.equal(telemetry.mode, "basic");
    assert.equal(await startTelemetry("unit", {}), telemetry, "started once per process");
    const { traceId, carried } = tracer("test").startActiveSpan("op", (span) => {
      const out = { traceId: span.spanContext().traceId, carried: injectTraceparent() };
      span.end();
      return out;
    });
    assert.notEqual(traceId, "0".repeat(32));
    assert.equal(carried.traceparent?.split("-")[1], traceId);

    const seen = withExtractedContext({ traceparent: remote }, () =>
      tracer("test").startActiveSpan("child", (span) => {
        span.end();
        return span.spanContext().traceId;
      }),
    );
    assert.equal(seen, "0af7651916cd43dd8448eb211c80319c", "a span started inside continues the remote trace");
    assert.equal(trace.getSpanContext(extractContext({ traceparent: "garbage" })), undefined);
    assert.deepEqual(injectTraceparent(), {}, "nothing to inject outside a span");
  } finally {
    await telemetry.shutdown();
  }
  assert.deepEqual(withExtractedContext({ traceparent: remote }, () => injectTraceparent()), {}, "shutdown unregisters the propagator");
});

test("GANTRY_TRACING=1 starts the NodeSDK with metrics and logs off, so shutdown is quick", async () => {
  const telemetry = await startTelemetry("unit-sdk", { GANTRY_TRACING: "1" });
  assert.equal(telemetry.mode, "sdk");
  // The span is left open: ended, it would be exported to the (absent) default OTLP collector.
  const carried = tracer("test").startActiveSpan("op", (span) => ({ out: injectTraceparent(), traceId: span.spanContext().traceId }));
  assert.equal(carried.out.traceparent?.split("-")[1], carried.traceId);
  // With a metrics exporter installed, this point would be exported to an absent collector on shutdown.
  metrics.getMeter("test").createCounter("calls").add(1);
  const started = performance.now();
  await telemetry.shutdown(10_000);
  assert.ok(performance.now() - started < 1500, `shutdown took ${performance.now() - started} ms`);
});
