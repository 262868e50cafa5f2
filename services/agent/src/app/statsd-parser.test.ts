import { test } from "node:test";
import assert from "node:assert/strict";
import { parseStatsdLine, StatsdAggregator } from "./statsd-parser.ts";

test("parses counters, gauges, timers and sets with rates and DogStatsD tags", () => {
  assert.deepEqual(parseStatsdLine("page.views:3|c|@0.5|#env:prod,canary"), { name: "page.views", value: 3, raw: "3", type: "c", delta: false, rate: 0.5, tags: { env: "prod", canary: "" } });
  assert.equal(parseStatsdLine("queue:-2|g")!.delta, true);
  assert.equal(parseStatsdLine("latency:12.5|ms")!.type, "ms");
  assert.equal(parseStatsdLine("users:alice|s")!.raw, "alice");
  for (const bad of ["", "novalue", "x:|c", "x:1|q", "x:abc|c", "x:1|c|@2", "bad name:1|c"]) assert.equal(parseStatsdLine(bad), undefined, bad);
});

test("aggregates per flush: counter totals (over the rate), gauge adjustments, timer statistics, distinct set members", () => {
  const a = new StatsdAggregator();
  a.ingest("hits:1|c\nhits:2|c|@0.5\nq:10|g\nq:-3|g\nt:10|ms\nt:30|ms\nt:20|ms\nu:a|s\nu:b|s\nu:a|s\ngarbage");
  const byName = Object.fromEntries(a.flush().map((p) => [p.name, p.value]));
  assert.deepEqual(byName, { hits: 5, q: 7, "t.count": 3, "t.mean": 20, "t.min": 10, "t.max": 30, "t.p95": 30, u: 2 });
  assert.equal(a.malformed, 1);
  a.ingest("hits:1|c");
  const second = Object.fromEntries(a.flush().map((p) => [p.name, p.value]));
  assert.deepEqual(second, { hits: 6, q: 7 }, "counters keep running totals, gauges their value; timers and sets restart");
});
