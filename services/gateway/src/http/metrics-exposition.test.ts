import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { metricsV1 } from "@gantry/proto";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { prometheusExposition } from "./metrics-exposition.ts";
import { dcosMessage } from "./metrics-views.ts";

const task = { agentId: "a1", hostname: "node-1", appId: "/shop/web", instanceId: "web.i1", taskId: "web.t1", containerName: "main", labels: { "team-name": "x" } };
const sample = (name: string, value: number, scope: metricsV1.Scope, kind: metricsV1.Kind, dims: Partial<typeof task>, tags: Record<string, string> = {}) =>
  create(metricsV1.LatestSampleSchema, { series: { name, unit: "bytes", kind, scope, dimensions: dims, tags }, timestampMs: 1_764_000_000_000n, value });

test("the exposition is valid Prometheus text: sanitized names, kinds, labels from dimensions, tags and task labels", async () => {
  const { contentType, text } = await prometheusExposition([
    sample("mem.total", 1024, metricsV1.Scope.CONTAINER, metricsV1.Kind.GAUGE, task),
    sample("cpus.user.time", 2.5, metricsV1.Scope.CONTAINER, metricsV1.Kind.COUNTER, task),
    sample("filesystem.capacity.total", 9e9, metricsV1.Scope.NODE, metricsV1.Kind.GAUGE, { agentId: "a1", hostname: "node-1" }, { path: "/" }),
    sample("orders", 3, metricsV1.Scope.APP, metricsV1.Kind.COUNTER, task, { task_id: "forged", env: "prod" }),
  ]);
  assert.match(contentType, /text\/plain/);
  const families = parsePrometheusTextFormat(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get("gantry_mem_total")!.type, "GAUGE");
  assert.equal(byName.get("gantry_cpus_user_time")!.type, "COUNTER");
  const mem = byName.get("gantry_mem_total")!.metrics[0]!;
  assert.equal(mem.value, "1024");
  assert.deepEqual(mem.labels, { agent_id: "a1", app_id: "/shop/web", container_name: "main", hostname: "node-1", instance_id: "web.i1", label_team_name: "x", scope: "container", task_id: "web.t1" });
  assert.equal(byName.get("gantry_filesystem_capacity_total")!.metrics[0]!.labels!.path, "/");
  const orders = byName.get("gantry_orders")!.metrics[0]!.labels!;
  assert.equal(orders.task_id, "web.t1", "a tag never hides a dimension");
  assert.equal(orders.env, "prod");
});

test("dcos-metrics v0 MetricsMessage: datapoints with units and ISO timestamps, DC/OS dimension names", () => {
  const msg = dcosMessage([sample("mem.total", 1024, metricsV1.Scope.CONTAINER, metricsV1.Kind.GAUGE, task)], "gantry");
  assert.deepEqual(msg.datapoints, [{ name: "mem.total", value: 1024, unit: "bytes", timestamp: "2025-11-24T16:00:00.000Z" }]);
  assert.deepEqual(msg.dimensions, { cluster_id: "gantry", mesos_id: "a1", agent_id: "a1", hostname: "node-1", app_id: "/shop/web", instance_id: "web.i1", task_id: "web.t1", container_id: "web.t1", container_name: "main", framework_name: "gantry", labels: { "team-name": "x" } });
  const node = dcosMessage([sample("load.1min", 1, metricsV1.Scope.NODE, metricsV1.Kind.GAUGE, { agentId: "a1", hostname: "node-1" })], "gantry");
  assert.deepEqual(node.dimensions, { cluster_id: "gantry", mesos_id: "a1", agent_id: "a1", hostname: "node-1" });
});
