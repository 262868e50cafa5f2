import { GorillaEncoder, decodeChunk, decodeChunkInto } from "./gorilla-chunk.ts";
import { freshColumns, type ColumnAllocator } from "./column-arena.ts";
import type { PointColumns } from "./range-query.ts";
import { SlotPool } from "./slot-pool.ts";
import { dimensionsKey, localSeriesKey, type Dimensions, type MetricKind, type Scope, type SeriesMeta } from "./sample.ts";

/** A closed, immutable Gorilla block of one series. */
export interface Chunk {
  minT: number;
  maxT: number;
  count: number;
  bytes: Uint8Array;
}

/** A downsampling bucket not yet written (its step has not ended). */
export interface PendingBucket {
  start: number;
  sum: number;
  count: number;
  last: number;
}

/** Bounds and horizons of a store, compiled once by the service's options. */
export interface SeriesStoreOptions {
  /** Samples per block (Prometheus: 120, two hours at 1 min). */
  samplesPerChunk: number;
  /** Raw samples older than this are downsampled. */
  rawRetentionMs: number;
  /** The step of downsampled data (one average, or last value for counters, per step). */
  downsampleStepMs: number;
  /** Data older than this is dropped, and a series with nothing newer is forgotten. */
  maxAgeMs: number;
  /** New series beyond this many are refused (counted in `stats.refusedSeries`). */
  maxSeries: number;
}

export const DEFAULT_STORE_OPTIONS: SeriesStoreOptions = {
  samplesPerChunk: 120,
  rawRetentionMs: 3_600_000,
  downsampleStepMs: 60_000,
  maxAgeMs: 24 * 3_600_000,
  maxSeries: 1_000_000,
};

/** One sample to store with what identifies its series (dimensions come separately, once per group). */
export interface IncomingPoint {
  name: string;
  unit: string;
  kind: MetricKind;
  scope: Scope;
  tags: Readonly<Record<string, string>>;
  t: number;
  v: number;
}

/** What became of an appended sample. */
export type AppendOutcome = "stored" | "duplicate" | "out-of-order" | "too-old" | "series-limit";

/** One series in memory: raw blocks (closed + head), downsampled blocks (closed + head) and the latest sample. */
export class Series {
  readonly meta: SeriesMeta;
  /** Scope, name and tags (`localSeriesKey`): the series' key among those of its source; with the source's `dimensionsKey`, its key in the store. */
  readonly localKey: string;
  raw: Chunk[] = [];
  head: GorillaEncoder | undefined;
  down: Chunk[] = [];
  downHead: GorillaEncoder | undefined;
  pending: PendingBucket | undefined;
  lastT = Number.NEGATIVE_INFINITY;
  lastV = Number.NaN;

  constructor(meta: SeriesMeta, localKey = localSeriesKey(meta)) {
    this.meta = meta;
    this.localKey = localKey;
  }

  /**
   * The samples with from ≤ t ≤ to in time order (downsampled ones first, then raw), as columns:
   * each block that overlaps the range is decoded straight into them, and those outside it (only
   * at the range's ends) dropped. The columns come from `allocate` (new ones by default), views of
   * them as long as the points found.
   */
  points(from: number, to: number, allocate: ColumnAllocator = freshColumns): PointColumns {
    const blocks: Array<[bytes: Uint8Array, count: number]> = [];
    for (const c of this.down) if (c.maxT >= from && c.minT <= to) blocks.push([c.bytes, c.count]);
    const dh = this.downHead;
    if (dh && dh.count > 0 && dh.lastT >= from && dh.firstT <= to) blocks.push([dh.view(), dh.count]);
    const rawFrom = blocks.length;
    for (const c of this.raw) if (c.maxT >= from && c.minT <= to) blocks.push([c.bytes, c.count]);
    const h = this.head;
    if (h && h.count > 0 && h.lastT >= from && h.firstT <= to) blocks.push([h.view(), h.count]);
    let capacity = this.pending ? 1 : 0;
    for (const [, count] of blocks) capacity += count;
    const { timestamps, values } = allocate(capacity);
    let n = 0;
    for (let b = 0; b <= blocks.length; b++) {
      if (b === rawFrom && this.pending) n = this.pendingInto(from, to, timestamps, values, n);
      if (b === blocks.length) break;
      const [bytes, count] = blocks[b]!;
      decodeChunkInto(bytes, count, timestamps, values, n);
      const end = n + count;
      for (let i = n; i < end; i++) {
        const t = timestamps[i]!;
        if (t < from || t > to) continue;
        timestamps[n] = t;
        values[n++] = values[i]!;
      }
    }
    return { timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
  }

  /** Writes the pending downsampling bucket's point at `n` when it is in range; returns the next index. */
  private pendingInto(from: number, to: number, timestamps: Float64Array, values: Float64Array, n: number): number {
    const p = this.pending!;
    if (p.start < from || p.start > to) return n;
    timestamps[n] = p.start;
    values[n] = bucketValue(this.meta.kind, p);
    return n + 1;
  }

  /** Bytes the series' blocks hold (encoded data and head buffers, not object overhead). */
  blockBytes(): number {
    let n = 0;
    for (const c of this.raw) n += c.bytes.length;
    for (const c of this.down) n += c.bytes.length;
    if (this.head) n += this.head.writer.capacity();
    if (this.downHead) n += this.downHead.writer.capacity();
    return n;
  }

  /** Samples held, raw and downsampled. */
  sampleCount(): number {
    let n = (this.head?.count ?? 0) + (this.downHead?.count ?? 0);
    for (const c of this.raw) n += c.count;
    for (const c of this.down) n += c.count;
    return n;
  }
}

const bucketValue = (kind: MetricKind, b: PendingBucket) => (kind === "counter" ? b.last : b.sum / b.count);

/** What a query selects; every field given must match. */
export interface Selector {
  agentId?: string;
  taskId?: string;
  appId?: string;
  scopes?: readonly Scope[];
  names?: readonly string[];
}

/** Counters of what the store did, for its own metrics and the benchmark. */
export interface StoreStats {
  series: number;
  stored: number;
  duplicates: number;
  outOfOrder: number;
  tooOld: number;
  refusedSeries: number;
  droppedSeries: number;
}

/**
 * The in-memory time series of the metrics service: one Series per (dimensions, scope, name,
 * tags), Gorilla-compressed in fixed-size blocks; indexes by agent, task and app.
 *
 * Footprint is bounded by `maxSeries` and by `compact(now)` (call it periodically): raw blocks
 * older than `rawRetentionMs` become `downsampleStepMs` averages (last value for counters), data
 * older than `maxAgeMs` is dropped, and a series with nothing newer is forgotten. Samples must
 * arrive in time order per series: an older one is refused ("out-of-order"), one at the same
 * timestamp is a redelivery ("duplicate"), so replaying a stream twice stores each sample once.
 */
export class SeriesStore {
  readonly options: SeriesStoreOptions;
  /** Series by their source (`dimensionsKey`), then by scope, name and tags: a batch group's dimensions are hashed once, not once per sample. */
  private readonly bySource = new Map<string, Source>();
  private count = 0;
  // Indexes hold sources, not series: a source's series share its dimensions, and a task has ten or
  // more series, so an index entry per series would cost more than the rest of the index.
  private readonly byAgent = new Map<string, Set<Source>>();
  private readonly byTask = new Map<string, Set<Source>>();
  private readonly byApp = new Map<string, Set<Source>>();
  readonly stats: StoreStats = { series: 0, stored: 0, duplicates: 0, outOfOrder: 0, tooOld: 0, refusedSeries: 0, droppedSeries: 0 };
  /** The buffers of open blocks (heads), sized for a full block at about a byte per sample plus the first sample's 16. */
  private readonly heads: SlotPool;

  constructor(options: Partial<SeriesStoreOptions> = {}) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.heads = new SlotPool(16 + this.options.samplesPerChunk);
  }

  /** Appends one sample; `dimsKey` is `dimensionsKey(dims)`, computed once for a group of samples. */
  append(dims: Dimensions, dimsKey: string, p: IncomingPoint, now: number): AppendOutcome {
    const local = localSeriesKey(p);
    let s = this.bySource.get(dimsKey)?.series.get(local);
    if (p.t < now - this.options.maxAgeMs) {
      this.stats.tooOld++;
      return "too-old";
    }
    if (!s) {
      if (this.count >= this.options.maxSeries) {
        this.stats.refusedSeries++;
        return "series-limit";
      }
      s = this.add(new Series({ name: p.name, unit: p.unit, kind: p.kind, scope: p.scope, dims, tags: p.tags }, local), dimsKey);
    }
    return this.appendTo(s, p.t, p.v);
  }

  /** Appends a sample to a known series (see `append`). */
  appendTo(s: Series, t: number, v: number): AppendOutcome {
    if (t <= s.lastT) {
      if (t === s.lastT) {
        this.stats.duplicates++;
        return "duplicate";
      }
      this.stats.outOfOrder++;
      return "out-of-order";
    }
    let head = s.head;
    if (!head) head = s.head = this.openBlock();
    if (head.append(t, v) !== undefined) {
      // Only a gap too wide for one block gets here (order was checked above): start a new block.
      this.closeHead(s);
      head = s.head = this.openBlock();
      head.append(t, v);
    }
    s.lastT = t;
    s.lastV = v;
    this.stats.stored++;
    if (head.count >= this.options.samplesPerChunk) this.closeHead(s);
    return "stored";
  }

  /**
   * Adds a series restored from a snapshot (or a new one), indexing its source; returns it. A
   * series of a known source takes that source's dimensions object, and one without tags a shared
   * empty record: per-series objects are what a million series cost (also after a restore).
   */
  add(s: Series, sourceKey = dimensionsKey(s.meta.dims)): Series {
    let source = this.bySource.get(sourceKey);
    if (!source) {
      source = { dims: s.meta.dims, series: new Map() };
      this.bySource.set(sourceKey, source);
      const d = source.dims;
      index(this.byAgent, d.agentId, source);
      if (d.taskId) index(this.byTask, d.taskId, source);
      if (d.appId) index(this.byApp, d.appId, source);
    } else s.meta.dims = source.dims;
    if (s.localKey.endsWith("\u0001")) s.meta.tags = NO_TAGS; // the local key ends so when there are no tags
    if (!source.series.has(s.localKey)) this.count++;
    source.series.set(s.localKey, s);
    this.stats.series = this.count;
    return s;
  }

  /** Every series, grouped by source. */
  *all(): IterableIterator<Series> {
    for (const source of this.bySource.values()) yield* source.series.values();
  }

  /** The series a selector matches (through the narrowest index it names). */
  select(sel: Selector): Series[] {
    const sources: Iterable<Source> = sel.taskId !== undefined ? (this.byTask.get(sel.taskId) ?? []) : sel.appId !== undefined ? (this.byApp.get(sel.appId) ?? []) : sel.agentId !== undefined ? (this.byAgent.get(sel.agentId) ?? []) : this.bySource.values();
    const out: Series[] = [];
    for (const { dims: d, series } of sources) {
      if (sel.agentId !== undefined && d.agentId !== sel.agentId) continue;
      if (sel.taskId !== undefined && d.taskId !== sel.taskId) continue;
      if (sel.appId !== undefined && d.appId !== sel.appId) continue;
      for (const s of series.values()) {
        if (sel.scopes && !sel.scopes.includes(s.meta.scope)) continue;
        if (sel.names && sel.names.length > 0 && !sel.names.includes(s.meta.name)) continue;
        out.push(s);
      }
    }
    return out;
  }

  /** Task ids known, with the dimensions of one of each task's sources. */
  tasks(agentId?: string): Dimensions[] {
    const out: Dimensions[] = [];
    for (const set of this.byTask.values()) {
      for (const { dims } of set) {
        if (agentId === undefined || dims.agentId === agentId) out.push(dims);
        break;
      }
    }
    return out;
  }

  /**
   * Enforces the horizons at `now`: downsamples raw data older than `rawRetentionMs`, drops data
   * older than `maxAgeMs` and forgets series with nothing newer. Returns how many series it forgot.
   */
  compact(now: number): number {
    const { rawRetentionMs, maxAgeMs } = this.options;
    let forgotten = 0;
    for (const s of [...this.all()]) {
      if (s.lastT < now - maxAgeMs) {
        this.remove(s);
        forgotten++;
        continue;
      }
      if (s.head && s.head.count > 0 && s.head.lastT < now - rawRetentionMs) this.closeHead(s);
      while (s.raw.length > 0 && s.raw[0]!.maxT < now - rawRetentionMs) this.downsample(s, s.raw.shift()!);
      while (s.down.length > 0 && s.down[0]!.maxT < now - maxAgeMs) s.down.shift();
    }
    this.stats.droppedSeries += forgotten;
    return forgotten;
  }

  /** Bytes held in blocks, all series together. */
  blockBytes(): number {
    let n = 0;
    for (const s of this.all()) n += s.blockBytes();
    return n;
  }

  /** Samples held, all series together. */
  sampleCount(): number {
    let n = 0;
    for (const s of this.all()) n += s.sampleCount();
    return n;
  }

  /** How many open blocks hold a slot of the shared head buffers (the rest have outgrown theirs). */
  pooledHeads(): number {
    return this.heads.inUse();
  }

  /** A new open block in a slot of the shared head buffers (a snapshot's restore opens its heads here too). */
  openBlock(): GorillaEncoder {
    return new GorillaEncoder(this.heads.slotBytes, this.heads);
  }

  private closeHead(s: Series): void {
    const h = s.head;
    if (!h || h.count === 0) return;
    s.raw.push({ minT: h.firstT, maxT: h.lastT, count: h.count, bytes: h.bytes() });
    h.release();
    s.head = undefined;
  }

  private downsample(s: Series, c: Chunk): void {
    const step = this.options.downsampleStepMs;
    decodeChunk(c.bytes, c.count, (t, v) => {
      const start = t - (t % step);
      const b = s.pending;
      if (b && b.start === start) {
        b.sum += v;
        b.count++;
        b.last = v;
        return;
      }
      if (b) this.appendDown(s, b.start, bucketValue(s.meta.kind, b));
      s.pending = { start, sum: v, count: 1, last: v };
    });
  }

  private appendDown(s: Series, t: number, v: number): void {
    let h = s.downHead;
    if (!h) h = s.downHead = this.openBlock();
    h.append(t, v);
    if (h.count >= this.options.samplesPerChunk) {
      s.down.push({ minT: h.firstT, maxT: h.lastT, count: h.count, bytes: h.bytes() });
      h.release();
      s.downHead = undefined;
    }
  }

  private remove(s: Series): void {
    const key = dimensionsKey(s.meta.dims);
    const source = this.bySource.get(key);
    if (!source || source.series.get(s.localKey) !== s) return;
    source.series.delete(s.localKey);
    s.head?.release();
    s.downHead?.release();
    this.count--;
    this.stats.series = this.count;
    if (source.series.size > 0) return;
    this.bySource.delete(key);
    const d = source.dims;
    unindex(this.byAgent, d.agentId, source);
    if (d.taskId) unindex(this.byTask, d.taskId, source);
    if (d.appId) unindex(this.byApp, d.appId, source);
  }
}

/** The series of one source (one set of dimensions: a node, or a task's container), by local key. */
interface Source {
  readonly dims: Dimensions;
  readonly series: Map<string, Series>;
}

/** The tags of every series without tags. */
const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

function index(map: Map<string, Set<Source>>, key: string, source: Source): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(source);
}

function unindex(map: Map<string, Set<Source>>, key: string, source: Source): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(source);
  if (set.size === 0) map.delete(key);
}
