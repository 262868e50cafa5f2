import { test } from "node:test";
import assert from "node:assert/strict";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { metricsV1 } from "@gantry/proto";
import { recordApiRequest, recordPlacements, recordQueueDepth, recordRelayLag, timedAppend, useControlMeter } from "./control-metrics.ts";
import { controlBatch } from "./control-metrics-export.ts";

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

test("control-plane instruments become one MetricBatch of CONTROL series: counters, gauges, histograms as count/sum/cumulative buckets", async () => {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  useControlMeter(provider.getMeter("gantry"));
  try {
    recordPlacements(3);
    recordPlacements(2);
    recordQueueDepth(4);
    recordRelayLag(new Date(Date.now() - 1500));
    assert.equal(await timedAppend(1, Promise.resolve("ok")), "ok");
    recordApiRequest("GET", "/v2/apps", 200, 3);
    recordApiRequest("GET", "/v2/apps", 200, 30);
    const { resourceMetrics } = await reader.collect();
    const batch = controlBatch(resourceMetrics, "scheduler", "host-1", 1_764_000_000_000);
    const g = batch.groups[0]!;
    assert.deepEqual([g.dimensions!.hostname, g.dimensions!.containerName, g.timestampMs], ["host-1", "scheduler", 1_764_000_000_000n]);
    const find = (name: string, tags: Record<string, string> = {}) => g.datapoints.find((p) => p.name === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
    assert.ok(g.datapoints.every((p) => p.scope === metricsV1.Scope.CONTROL));
    assert.equal(find("scheduler.placements")!.value, 5);
    assert.equal(find("scheduler.placements")!.kind, metricsV1.Kind.COUNTER);
    assert.equal(find("scheduler.queue.depth")!.value, 4);
    assert.ok(find("relay.lag")!.value >= 1500);
    assert.equal(find("eventstore.append.duration_count", { streams: "one" })!.value, 1);
    const api = { method: "GET", route: "/v2/apps", status: "200" };
    assert.equal(find("api.request.duration_count", api)!.value, 2);
    assert.equal(find("api.request.duration_sum", api)!.value, 33);
    assert.equal(find("api.request.duration_bucket", { ...api, le: "5" })!.value, 1, "3 ms is under 5");
    assert.equal(find("api.request.duration_bucket", { ...api, le: "50" })!.value, 2, "cumulative");
    assert.equal(find("api.request.duration_bucket", { ...api, le: "+Inf" })!.value, 2);
  } finally {
    useControlMeter(undefined);
    await provider.shutdown();
  }
});

test("without an attached meter, recording does nothing and appends pass through", async () => {
  recordPlacements(1);
  recordApiRequest("GET", "/x", 200, 1);
  assert.equal(await timedAppend(2, Promise.resolve(7)), 7);
  await assert.rejects(timedAppend(1, Promise.reject(new Error("refused"))), /refused/);
});
