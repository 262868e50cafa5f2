import assert from "node:assert/strict";
import { test } from "node:test";
import { compileLogsSettings, logsDatabaseUrlOf } from "./logs-options.ts";

test("the logs flags are read and the rest left for the platform's parser", () => {
  const { settings, rest } = compileLogsSettings(["--port", "7004", "--retention", "12h", "--partition-interval=1h", "--cluster", "c"], "postgres://h/gantry", {});
  assert.deepEqual(rest, ["--port", "7004", "--cluster", "c"]);
  assert.equal(settings.partitions.retentionMs, 12 * 3_600_000);
  assert.equal(settings.partitions.intervalMs, 3_600_000);
  assert.equal(settings.logsDatabaseUrl, "postgres://h/gantry_logs");
  assert.equal(compileLogsSettings([], "postgres://h/g", { GANTRY_LOGS_RETENTION: "2d", LOGS_DATABASE_URL: "postgres://o/l" }).settings.partitions.retentionMs, 2 * 86_400_000);
  assert.equal(compileLogsSettings([], "postgres://h/g", { LOGS_DATABASE_URL: "postgres://o/l" }).settings.logsDatabaseUrl, "postgres://o/l");
});

test("bad durations name the flag", () => {
  assert.throws(() => compileLogsSettings(["--retention", "forever"], "postgres://h/g", {}), /--retention "forever"/);
  assert.throws(() => compileLogsSettings(["--retention", "1h"], "postgres://h/g", {}), /no shorter than the partition interval/);
  assert.throws(() => compileLogsSettings(["--partition-interval", "30s"], "postgres://h/g", {}), /--partition-interval "30s"/);
  assert.equal(logsDatabaseUrlOf("postgres://u@h:5432/"), "postgres://u@h:5432/postgres_logs");
});

test("the block cache size is whole MiB, 64 unless set; a bad one names the flag", () => {
  assert.equal(compileLogsSettings([], "postgres://h/g", {}).settings.blockCacheBytes, 64 * 1024 * 1024);
  const { settings, rest } = compileLogsSettings(["--block-cache-mb", "0", "--port", "1"], "postgres://h/g", {});
  assert.equal(settings.blockCacheBytes, 0);
  assert.deepEqual(rest, ["--port", "1"]);
  assert.equal(compileLogsSettings([], "postgres://h/g", { GANTRY_LOGS_BLOCK_CACHE_MB: "256" }).settings.blockCacheBytes, 256 * 1024 * 1024);
  for (const bad of ["-1", "1.5", "64MiB", ""]) assert.throws(() => compileLogsSettings([`--block-cache-mb=${bad}`], "postgres://h/g", {}), /--block-cache-mb ".*" must be a whole number of MiB/);
});
