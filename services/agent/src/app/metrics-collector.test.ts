import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@gantry/platform";
import type { metricsV1 } from "@gantry/proto";
import { startMetricsCollector } from "./metrics-collector.ts";

const logger = createLogger("collector-test", { level: "silent" });

test("one batch per tick: node, GPU and task groups with every dimension, on the interval grid; a failed publish is retried with the next tick", async () => {
  const published: Array<{ batch: metricsV1.MetricBatch; msgId: string }> = [];
  let fail = true;
  let now = 1_764_000_012_345;
  const c = startMetricsCollector(
    { agentId: "agent-1", hostname: "node-1", intervalMs: 10_000 },
    {
      node: () => [{ name: "load.1min", value: 0.5, unit: "count" }],
      gpus: async () => [{ name: "gpu.utilization", value: 40, unit: "percent", tags: { gpu_index: "0" } }],
      targets: () => [{ taskId: "web.1", instanceId: "web.i1", appId: "/shop/web", containerName: "main", labels: { team: "a" }, cgroupDirs: [], pgid: 99 }],
      task: () => [{ name: "mem.total", value: 1024, unit: "bytes" }],
      scrape: async () => [],
      statsd: () => new Map([["web.1", [{ name: "orders", value: 3, counter: true, tags: { env: "prod" } }]]]),
      publish: async (batch, msgId) => {
        if (fail) throw new Error("no stream");
        published.push({ batch, msgId });
      },
      logger,
      now: () => now,
    },
  );
  try {
    await c.tick();
    assert.equal(published.length, 0);
    fail = false;
    now += 10_000;
    await c.tick();
    assert.equal(published.length, 2, "the failed batch first, then the new one");
    assert.notEqual(published[0]!.msgId, published[1]!.msgId);
    const batch = published[1]!.batch;
    assert.equal(batch.source, "agent-1");
    const [node, gpu, task] = batch.groups;
    assert.equal(node!.timestampMs, 1_764_000_020_000n, "stamped on the 10 s grid");
    assert.deepEqual({ ...node!.dimensions, $typeName: undefined, labels: undefined }, { $typeName: undefined, agentId: "agent-1", hostname: "node-1", appId: "", instanceId: "", taskId: "", containerName: "", labels: undefined });
    assert.equal(gpu!.datapoints[0]!.tags.gpu_index, "0");
    const d = task!.dimensions!;
    assert.deepEqual([d.agentId, d.hostname, d.appId, d.instanceId, d.taskId, d.containerName, d.labels.team], ["agent-1", "node-1", "/shop/web", "web.i1", "web.1", "main", "a"]);
    assert.deepEqual(task!.datapoints.map((p) => [p.name, p.scope, p.kind]), [["mem.total", 3, 1], ["orders", 4, 2]]);
  } finally {
    c.stop();
  }
});
