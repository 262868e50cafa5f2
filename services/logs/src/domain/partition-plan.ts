/**
 * Time partitions of the chunk table: each covers `[start, start + interval)` in UTC, named after
 * its start (`log_chunks_p20261130t1200`). Retention drops whole partitions whose end is older
 * than `now - retention`, which costs a catalogue change, not a DELETE of millions of rows.
 */
export interface PartitionPlanOptions {
  /** Width of one partition, ms (≥ 1 minute). */
  intervalMs: number;
  /** How long lines are kept, ms (≥ intervalMs). */
  retentionMs: number;
  /** Partitions created ahead of now, so ingest never waits on DDL at a boundary. */
  ahead: number;
}

/** One partition: its table name and range in ms since the epoch. */
export interface PartitionRange {
  name: string;
  startMs: number;
  endMs: number;
}

/** The partition holding time `ms`. */
export function partitionAt(ms: number, intervalMs: number): PartitionRange {
  const startMs = Math.floor(ms / intervalMs) * intervalMs;
  return { name: partitionName(startMs), startMs, endMs: startMs + intervalMs };
}

/** `log_chunks_pYYYYMMDDtHHMM` of a start time (UTC). */
export function partitionName(startMs: number): string {
  const iso = new Date(startMs).toISOString(); // 2026-11-30T12:00:00.000Z
  return `log_chunks_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}t${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** The oldest time still kept at `nowMs`: lines before it are dropped at ingest and by retention. */
export function retentionHorizonMs(nowMs: number, o: PartitionPlanOptions): number {
  return nowMs - o.retentionMs;
}

/** The partitions that should exist at `nowMs`: from the one holding the horizon to `ahead` past now's. */
export function wantedPartitions(nowMs: number, o: PartitionPlanOptions): PartitionRange[] {
  const first = partitionAt(retentionHorizonMs(nowMs, o), o.intervalMs).startMs;
  const last = partitionAt(nowMs, o.intervalMs).startMs + o.ahead * o.intervalMs;
  const out: PartitionRange[] = [];
  for (let start = first; start <= last; start += o.intervalMs) out.push({ name: partitionName(start), startMs: start, endMs: start + o.intervalMs });
  return out;
}

/** Of existing partitions, those entirely older than the horizon (to drop). */
export function expiredPartitions(existing: readonly PartitionRange[], nowMs: number, o: PartitionPlanOptions): PartitionRange[] {
  const horizon = retentionHorizonMs(nowMs, o);
  return existing.filter((p) => p.endMs <= horizon);
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `90s`, `10m`, `12h`, `7d` into ms; undefined when it is not such a duration. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
