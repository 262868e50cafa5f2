import { parseArgs } from "node:util";
import { GantryError } from "@gantry/platform/errors";
import { parseDurationMs, type PartitionPlanOptions } from "./domain/partition-plan.ts";

/** The logs service's own settings, compiled once at its edge. */
export interface LogsSettings {
  /** The logs database (its own, beside the cluster's): `LOGS_DATABASE_URL`, default `<DATABASE_URL's database>_logs`, created when missing. */
  logsDatabaseUrl: string;
  partitions: PartitionPlanOptions;
  /** How often partitions are created ahead and expired ones dropped, ms. */
  maintenanceEveryMs: number;
  /** Unpacked blocks of recently read chunks kept in memory, bytes (domain/block-cache.ts). */
  blockCacheBytes: number;
}

export const DEFAULT_RETENTION = "7d";
export const DEFAULT_PARTITION_INTERVAL = "1d";
export const DEFAULT_BLOCK_CACHE_MB = 64;
const OWN_FLAGS = new Set(["retention", "partition-interval", "block-cache-mb"]);

/**
 * Reads `--retention` (`GANTRY_LOGS_RETENTION`, default 7d) and `--partition-interval`
 * (`GANTRY_LOGS_PARTITION_INTERVAL`, default 1d), durations such as `90m`, `12h`, `7d`, and
 * `--block-cache-mb` (`GANTRY_LOGS_BLOCK_CACHE_MB`, default 64: MiB of recently read blocks kept
 * unpacked, 0 for none), and returns them with the arguments left for `serviceEnvironment`.
 * Throws InvalidArgument naming the flag: an interval under a minute or not whole minutes, a
 * retention shorter than one interval, a cache size that is not a whole number of MiB.
 */
export function compileLogsSettings(argv: string[], databaseUrl: string, env: NodeJS.ProcessEnv = process.env): { settings: LogsSettings; rest: string[] } {
  const { values, tokens } = parseArgs({
    args: argv,
    options: { retention: { type: "string" }, "partition-interval": { type: "string" }, "block-cache-mb": { type: "string" } },
    strict: false,
    tokens: true,
  });
  const own = new Set<number>();
  for (const t of tokens ?? []) if (t.kind === "option" && OWN_FLAGS.has(t.name)) {
    own.add(t.index);
    if (t.inlineValue === false) own.add(t.index + 1);
  }
  const rest = argv.filter((_, i) => !own.has(i));
  const retentionText = String(values.retention ?? env.GANTRY_LOGS_RETENTION ?? DEFAULT_RETENTION);
  const intervalText = String(values["partition-interval"] ?? env.GANTRY_LOGS_PARTITION_INTERVAL ?? DEFAULT_PARTITION_INTERVAL);
  const retentionMs = parseDurationMs(retentionText);
  const intervalMs = parseDurationMs(intervalText);
  if (intervalMs === undefined || intervalMs < 60_000 || intervalMs % 60_000 !== 0) {
    throw new GantryError("InvalidArgument", `--partition-interval "${intervalText}" must be a whole number of minutes, at least 1m (e.g. 1h, 1d)`);
  }
  if (retentionMs === undefined || retentionMs < intervalMs) {
    throw new GantryError("InvalidArgument", `--retention "${retentionText}" must be a duration (e.g. 7d, 12h) no shorter than the partition interval ${intervalText}`);
  }
  const cacheText = String(values["block-cache-mb"] ?? env.GANTRY_LOGS_BLOCK_CACHE_MB ?? DEFAULT_BLOCK_CACHE_MB);
  const cacheMb = /^\d{1,6}$/.test(cacheText) ? Number(cacheText) : undefined;
  if (cacheMb === undefined) throw new GantryError("InvalidArgument", `--block-cache-mb "${cacheText}" must be a whole number of MiB (0 keeps none, at most 999999)`);
  return {
    settings: {
      logsDatabaseUrl: env.LOGS_DATABASE_URL ?? logsDatabaseUrlOf(databaseUrl),
      partitions: { intervalMs, retentionMs, ahead: 2 },
      maintenanceEveryMs: Math.min(intervalMs / 4, 15 * 60_000),
      blockCacheBytes: cacheMb * 1024 * 1024,
    },
    rest,
  };
}

/** `postgres://…/gantry` → `postgres://…/gantry_logs`: the logs database beside a cluster's. */
export function logsDatabaseUrlOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1)) || "postgres";
  url.pathname = `/${name}_logs`;
  return url.toString();
}
