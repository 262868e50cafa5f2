import type { metricsV1 } from "@gantry/proto";
import type { Logger } from "@gantry/platform";
import { SeriesStore, type SeriesStoreOptions } from "../domain/series-store.ts";
import { ingestBatch, type IngestCounts } from "./metrics-ingest.ts";

/** Where the node keeps its blocks and how it reads them back: the snapshot file adapter. */
export interface SnapshotPort {
  /** Loads the persisted blocks into the empty store; returns the stream sequence they hold (0: none). */
  read(store: SeriesStore): Promise<number>;
  /** Persists every block and the sequence they hold, durably; returns the bytes written. */
  write(store: SeriesStore, lastSeq: number): Promise<number>;
}

/**
 * One metrics service's state: the store, the last stream sequence ingested and the last one
 * persisted. Samples are ingested as batches arrive and persisted every `persist()`; on start the
 * stream is read again from after `persistedSeq`, so a crash loses nothing the stream still holds
 * (and a sample ingested twice is stored once: the store drops a repeated timestamp).
 */
export class MetricsNode {
  readonly store: SeriesStore;
  private readonly snapshots: SnapshotPort;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** Sequence of the last batch ingested. */
  lastSeq = 0;
  /** Sequence the persisted snapshot holds. */
  persistedSeq = 0;
  readonly totals: IngestCounts = { stored: 0, duplicate: 0, "out-of-order": 0, "too-old": 0, "series-limit": 0 };
  private persisting: Promise<void> | undefined;

  constructor(deps: { snapshots: SnapshotPort; logger: Logger; now: () => number }, storeOptions: Partial<SeriesStoreOptions> = {}) {
    this.store = new SeriesStore(storeOptions);
    this.snapshots = deps.snapshots;
    this.logger = deps.logger;
    this.now = deps.now;
  }

  /** Loads the persisted blocks; returns the sequence to read the stream after. */
  async restore(): Promise<number> {
    const started = performance.now();
    this.persistedSeq = this.lastSeq = await this.snapshots.read(this.store);
    this.logger.info({ series: this.store.stats.series, samples: this.store.sampleCount(), lastSeq: this.lastSeq, ms: Math.round(performance.now() - started) }, "metric blocks restored");
    return this.lastSeq;
  }

  /** Ingests the batch at stream sequence `seq`. */
  ingest(batch: metricsV1.MetricBatch, seq: number): IngestCounts {
    const counts = ingestBatch(this.store, batch, this.now());
    for (const k of Object.keys(counts) as Array<keyof IngestCounts>) this.totals[k] += counts[k];
    if (counts["series-limit"] > 0) this.logger.warn({ source: batch.source, refused: counts["series-limit"], limit: this.store.options.maxSeries }, "series limit reached: new series refused");
    this.lastSeq = seq;
    return counts;
  }

  /** Persists the store when it ingested something since the last time; one persist at a time. */
  async persist(): Promise<void> {
    while (this.persisting) await this.persisting;
    if (this.lastSeq === this.persistedSeq) return;
    const seq = this.lastSeq;
    const started = performance.now();
    this.persisting = this.snapshots.write(this.store, seq).then((bytes) => {
      this.persistedSeq = seq;
      this.logger.debug({ seq, bytes, ms: Math.round(performance.now() - started) }, "metric blocks persisted");
    });
    try {
      await this.persisting;
    } finally {
      this.persisting = undefined;
    }
  }

  /** Downsamples and drops old data (see SeriesStore.compact). */
  compact(): void {
    const forgotten = this.store.compact(this.now());
    if (forgotten > 0) this.logger.info({ forgotten }, "series past the age limit forgotten");
  }
}
