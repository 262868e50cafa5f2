import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { columnBytes, metricsV1 } from "@gantry/proto";
import { pointsJson } from "./metric-points-json.ts";

test("--json of a range answer has its points as numbers, not base64", () => {
  const answer = create(metricsV1.RangeResponseSchema, {
    series: [{ series: { name: "mem.total", unit: "bytes" }, timestampsMs: columnBytes(new Float64Array([1_764_000_000_000, 1_764_000_010_000])), values: columnBytes(new Float64Array([1024, 2048.5])) }],
  });
  const json = pointsJson(metricsV1.RangeResponseSchema, answer) as { series: Array<{ series: { name: string }; timestampsMs: unknown; values: unknown }> };
  assert.equal(json.series[0]!.series.name, "mem.total");
  assert.deepEqual(json.series[0]!.timestampsMs, [1_764_000_000_000, 1_764_000_010_000]);
  assert.deepEqual(json.series[0]!.values, [1024, 2048.5]);
});
