import { GorillaEncoder, decodeChunk } from "./gorilla-chunk.ts";
import { dimensionsKey, recordKey, type Dimensions, type MetricKind, type Scope, type SeriesMeta } from "./sample.ts";

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
  readonly key: string;
  raw: Chunk[] = [];
  head: GorillaEncoder | undefined;
  down: Chunk[] = [];
  downHead: GorillaEncoder | undefined;
  pending: PendingBucket | undefined;
  lastT = Number.NEGATIVE_INFINITY;
  lastV = Number.NaN;

  constructor(meta: SeriesMeta, key: string) {
    this.meta = meta;
    this.key = key;
  }

  /** Visits samples with from ≤ t ≤ to in time order: downsampled ones first, then raw. */
  visit(from: number, to: number, visitor: (t: number, v: number) => void): void {
    const inRange = (t: number, v: number) => {
      if (t >= from && t <= to) visitor(t, v);
    };
    for (const c of this.down) if (c.maxT >= from && c.minT <= to) decodeChunk(c.bytes, c.count, inRange);
    if (this.downHead && this.downHead.count > 0 && this.downHead.lastT >= from && this.downHead.firstT <= to) decodeChunk(this.downHead.bytes(), this.downHead.count, inRange);
    if (this.pending) inRange(this.pending.start, bucketValue(this.meta.kind, this.pending));
    for (const c of this.raw) if (c.maxT >= from && c.minT <= to) decodeChunk(c.bytes, c.count, inRange);
    if (this.head && this.head.count > 0 && this.head.lastT >= from && this.head.firstT <= to) decodeChunk(this.head.bytes(), this.head.count, inRange);
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
  private readonly bySource = new Map<string, Map<string, Series>>();
  private count = 0;
  private readonly byAgent = new Map<string, Set<Series>>();
  private readonly byTask = new Map<string, Set<Series>>();
  private readonly byApp = new Map<string, Set<Series>>();
  readonly stats: StoreStats = { series: 0, stored: 0, duplicates: 0, outOfOrder: 0, tooOld: 0, refusedSeries: 0, droppedSeries: 0 };

  constructor(options: Partial<SeriesStoreOptions> = {}) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
  }

  /** Appends one sample; `dimsKey` is `dimensionsKey(dims)`, computed once for a group of samples. */
  append(dims: Dimensions, dimsKey: string, p: IncomingPoint, now: number): AppendOutcome {
    const local = `${p.scope}\u0001${p.name}\u0001${recordKey(p.tags)}`;
    let s = this.bySource.get(dimsKey)?.get(local);
    if (p.t < now - this.options.maxAgeMs) {
      this.stats.tooOld++;
      return "too-old";
    }
    if (!s) {
      if (this.count >= this.options.maxSeries) {
        this.stats.refusedSeries++;
        return "series-limit";
      }
      s = this.add(new Series({ name: p.name, unit: p.unit, kind: p.kind, scope: p.scope, dims, tags: p.tags }, `${dimsKey}\u0001${local}`));
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
    if (!head) head = s.head = new GorillaEncoder(16 + this.options.samplesPerChunk);
    if (head.append(t, v) !== undefined) {
      // Only a gap too wide for one block gets here (order was checked above): start a new block.
      this.closeHead(s);
      head = s.head = new GorillaEncoder(16 + this.options.samplesPerChunk);
      head.append(t, v);
    }
    s.lastT = t;
    s.lastV = v;
    this.stats.stored++;
    if (head.count >= this.options.samplesPerChunk) this.closeHead(s);
    return "stored";
  }

  /** Adds a series restored from a snapshot (or a new one), indexing it; returns it. */
  add(s: Series): Series {
    const [source, local] = splitKey(s);
    let inner = this.bySource.get(source);
    if (!inner) this.bySource.set(source, (inner = new Map()));
    if (!inner.has(local)) this.count++;
    inner.set(local, s);
    this.stats.series = this.count;
    const d = s.meta.dims;
    index(this.byAgent, d.agentId, s);
    if (d.taskId) index(this.byTask, d.taskId, s);
    if (d.appId) index(this.byApp, d.appId, s);
    return s;
  }

  /** Every series, grouped by source. */
  *all(): IterableIterator<Series> {
    for (const inner of this.bySource.values()) yield* inner.values();
  }

  /** The series a selector matches (through the narrowest index it names). */
  select(sel: Selector): Series[] {
    const source: Iterable<Series> = sel.taskId !== undefined ? (this.byTask.get(sel.taskId) ?? []) : sel.appId !== undefined ? (this.byApp.get(sel.appId) ?? []) : sel.agentId !== undefined ? (this.byAgent.get(sel.agentId) ?? []) : this.all();
    const out: Series[] = [];
    for (const s of source) {
      const d = s.meta.dims;
      if (sel.agentId !== undefined && d.agentId !== sel.agentId) continue;
      if (sel.taskId !== undefined && d.taskId !== sel.taskId) continue;
      if (sel.appId !== undefined && d.appId !== sel.appId) continue;
      if (sel.scopes && !sel.scopes.includes(s.meta.scope)) continue;
      if (sel.names && sel.names.length > 0 && !sel.names.includes(s.meta.name)) continue;
      out.push(s);
    }
    return out;
  }

  /** Task ids known, with the dimensions of one of each task's series. */
  tasks(agentId?: string): Dimensions[] {
    const out: Dimensions[] = [];
    for (const set of this.byTask.values()) {
      for (const s of set) {
        if (agentId === undefined || s.meta.dims.agentId === agentId) out.push(s.meta.dims);
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

  private closeHead(s: Series): void {
    const h = s.head;
    if (!h || h.count === 0) return;
    s.raw.push({ minT: h.firstT, maxT: h.lastT, count: h.count, bytes: h.bytes() });
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
    if (!h) h = s.downHead = new GorillaEncoder(16 + this.options.samplesPerChunk);
    h.append(t, v);
    if (h.count >= this.options.samplesPerChunk) {
      s.down.push({ minT: h.firstT, maxT: h.lastT, count: h.count, bytes: h.bytes() });
      s.downHead = undefined;
    }
  }

  private remove(s: Series): void {
    const [source, local] = splitKey(s);
    const inner = this.bySource.get(source);
    if (inner?.get(local) === s) {
      inner.delete(local);
      this.count--;
      if (inner.size === 0) this.bySource.delete(source);
    }
    this.stats.series = this.count;
    const d = s.meta.dims;
    unindex(this.byAgent, d.agentId, s);
    if (d.taskId) unindex(this.byTask, d.taskId, s);
    if (d.appId) unindex(this.byApp, d.appId, s);
  }
}

/** A series' source (its `dimensionsKey`) and the rest of its key (scope, name, tags). */
function splitKey(s: Series): [string, string] {
  const source = dimensionsKey(s.meta.dims);
  return [source, s.key.slice(source.length + 1)];
}

function index(map: Map<string, Set<Series>>, key: string, s: Series): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(s);
}

function unindex(map: Map<string, Set<Series>>, key: string, s: Series): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) map.delete(key);
}
