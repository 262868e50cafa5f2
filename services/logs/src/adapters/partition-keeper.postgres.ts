import type pg from "pg";
import type { Logger } from "@gantry/platform/logging";
import { expiredPartitions, partitionAt, retentionHorizonMs, wantedPartitions, type PartitionPlanOptions, type PartitionRange } from "../domain/partition-plan.ts";

/**
 * Keeps the time partitions of `log_chunks`: creates those wanted (the retention window plus
 * `ahead` intervals) and any an incoming line needs, drops those older than the retention (whole
 * tables: no DELETE, no vacuum debt). Knows the partitions that exist from the catalogue, so a
 * change of interval between runs never creates overlapping ones (an existing partition that
 * covers a time is used, whatever its width).
 */
export class PartitionKeeper {
  readonly #pool: pg.Pool;
  readonly #plan: PartitionPlanOptions;
  readonly #logger: Logger;
  #known: PartitionRange[] = [];

  constructor(pool: pg.Pool, plan: PartitionPlanOptions, logger: Logger) {
    this.#pool = pool;
    this.#plan = plan;
    this.#logger = logger;
  }

  get plan(): PartitionPlanOptions {
    return this.#plan;
  }

  /** The partitions that exist now (re-read from the catalogue). */
  async existing(): Promise<PartitionRange[]> {
    const { rows } = await this.#pool.query<{ name: string; lo: string; hi: string }>(
      `SELECT c.relname AS name,
              (extract(epoch FROM (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz) * 1000)::int8 AS lo,
              (extract(epoch FROM (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz) * 1000)::int8 AS hi
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'log_chunks'::regclass`,
    );
    this.#known = rows.map((r) => ({ name: r.name, startMs: Number(r.lo), endMs: Number(r.hi) })).sort((a, b) => a.startMs - b.startMs);
    return this.#known;
  }

  /** Creates the partitions wanted at `nowMs` and drops the expired ones; returns the names dropped. */
  async maintain(nowMs: number): Promise<string[]> {
    await this.existing();
    for (const p of wantedPartitions(nowMs, this.#plan)) await this.#create(p);
    const dropped: string[] = [];
    for (const p of expiredPartitions(this.#known, nowMs, this.#plan)) {
      // A plain DROP of the partition: its lines go at once; queries in flight keep their snapshot (they hold a lock).
      await this.#pool.query(`DROP TABLE IF EXISTS ${quoteIdent(p.name)}`);
      dropped.push(p.name);
    }
    if (dropped.length > 0) {
      this.#logger.info({ dropped, retentionMs: this.#plan.retentionMs }, "dropped log partitions older than the retention");
      await this.existing();
    }
    return dropped;
  }

  /**
   * Makes sure every time (ms) of a batch has a partition; returns the predicate of times to keep:
   * times older than the retention horizon are not stored (their partition would be dropped).
   */
  async prepareFor(timesMs: Iterable<number>, nowMs: number): Promise<(ms: number) => boolean> {
    const horizon = retentionHorizonMs(nowMs, this.#plan);
    const keep = (ms: number) => ms >= horizon;
    for (const ms of timesMs) {
      if (!keep(ms) || this.#covering(ms)) continue;
      await this.#create(partitionAt(ms, this.#plan.intervalMs));
      await this.existing();
    }
    return keep;
  }

  #covering(ms: number): PartitionRange | undefined {
    return this.#known.find((p) => p.startMs <= ms && ms < p.endMs);
  }

  async #create(p: PartitionRange): Promise<void> {
    if (this.#known.some((k) => k.startMs < p.endMs && p.startMs < k.endMs)) return;
    try {
      await this.#pool.query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(p.name)} PARTITION OF log_chunks FOR VALUES FROM ('${new Date(p.startMs).toISOString()}') TO ('${new Date(p.endMs).toISOString()}')`,
      );
    } catch (err) {
      // Another replica created it (or an overlapping one) meanwhile: the catalogue says what exists.
      if ((err as { code?: string }).code !== "42P07" && (err as { code?: string }).code !== "42P17") throw err;
    }
    this.#known.push(p);
    this.#known.sort((a, b) => a.startMs - b.startMs);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
