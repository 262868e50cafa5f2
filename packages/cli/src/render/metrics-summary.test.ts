import { test } from "node:test";
import assert from "node:assert/strict";
import { formatValue, renderMetricsSummary, sparkline } from "./metrics-summary.ts";

test("sparklines scale between min and max, keep the newest values and show flat series low", () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
  assert.equal(sparkline([5, 5, 5]), "▁▁▁");
  assert.equal(sparkline([5, 1, 2], 2), "▁█", "the newest two: 1, 2");
  assert.equal(sparkline([]), "");
});

test("values in their units and the summary table", () => {
  assert.equal(formatValue(25 * 1024 * 1024, "bytes"), "25.0 MiB");
  assert.equal(formatValue(1.234, "seconds"), "1.23 seconds");
  assert.equal(formatValue(3, "count"), "3");
  const text = renderMetricsSummary("task web.1, last 15 min", [{ name: "mem.total", unit: "bytes", tags: {}, values: [1024, 2048] }], "no metrics");
  assert.match(text, /^task web\.1, last 15 min\nMETRIC\s+TAGS\s+LAST\s+MIN\s+MAX\s+TREND\nmem\.total\s+-\s+2\.0 KiB\s+1\.0 KiB\s+2\.0 KiB\s+▁█$/);
  assert.equal(renderMetricsSummary("t", [], "no metrics"), "no metrics");
});
