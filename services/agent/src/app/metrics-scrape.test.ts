import { test } from "node:test";
import assert from "node:assert/strict";
import { pointsOfExposition, prometheusScrapeOf } from "./metrics-scrape.ts";

test("a task is scraped only when labelled, on the port its index names, at its path", () => {
  const env = { PORT0: "31000", PORT1: "31001" };
  assert.equal(prometheusScrapeOf({}, env), undefined);
  assert.deepEqual(prometheusScrapeOf({ GANTRY_METRICS_FORMAT: "prometheus" }, env), { port: 31000, path: "/metrics" });
  assert.deepEqual(prometheusScrapeOf({ GANTRY_METRICS_FORMAT: "Prometheus", GANTRY_METRICS_PORT_INDEX: "1", GANTRY_METRICS_PATH: "stats" }, env), { port: 31001, path: "/stats" });
  assert.equal(prometheusScrapeOf({ GANTRY_METRICS_FORMAT: "prometheus", GANTRY_METRICS_PORT_INDEX: "5" }, env), undefined, "no such port");
});

test("counters, gauges, histograms and summaries of an exposition become tagged points", () => {
  const text = [
    "# TYPE http_requests_total counter",
    'http_requests_total{method="get",code="200"} 1027',
    "# TYPE queue_depth gauge",
    "queue_depth 3",
    "# TYPE latency_seconds histogram",
    'latency_seconds_bucket{le="0.1"} 5',
    'latency_seconds_bucket{le="+Inf"} 7',
    "latency_seconds_sum 0.9",
    "latency_seconds_count 7",
    "# TYPE rpc_seconds summary",
    'rpc_seconds{quantile="0.5"} 0.02',
    "rpc_seconds_sum 1.5",
    "rpc_seconds_count 40",
    "",
  ].join("\n");
  const points = pointsOfExposition(text).map((p) => [p.name, p.value, p.counter, p.tags]);
  assert.deepEqual(points, [
    ["http_requests_total", 1027, true, { method: "get", code: "200" }],
    ["queue_depth", 3, false, {}],
    ["latency_seconds_count", 7, true, {}],
    ["latency_seconds_sum", 0.9, true, {}],
    ["latency_seconds_bucket", 5, true, { le: "0.1" }],
    ["latency_seconds_bucket", 7, true, { le: "+Inf" }],
    ["rpc_seconds_count", 40, true, {}],
    ["rpc_seconds_sum", 1.5, true, {}],
    ["rpc_seconds", 0.02, false, { quantile: "0.5" }],
  ]);
});
