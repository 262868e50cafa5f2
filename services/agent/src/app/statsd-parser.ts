/**
 * The StatsD line protocol (etsy/statsd, with DogStatsD tags): `name:value|type[|@rate][|#k:v,k2]`,
 * several lines per datagram. Counters (`c`) are summed per flush, divided by their sample rate;
 * gauges (`g`) keep the last value, `+N`/`-N` adjust it; timers (`ms`, `h`, `d`) become
 * count/mean/min/max/p95 per flush; sets (`s`) count distinct values per flush. A malformed line is
 * counted and skipped (a task's bad line never stops the others).
 */
export interface StatsdLine {
  name: string;
  value: number;
  /** The raw value text (sets count distinct texts). */
  raw: string;
  type: "c" | "g" | "ms" | "s";
  /** Only for gauges: `+N` / `-N` adjust the current value instead of setting it. */
  delta: boolean;
  rate: number;
  tags: Record<string, string>;
}

/** Parses one line; undefined when it is not valid StatsD. */
export function parseStatsdLine(line: string): StatsdLine | undefined {
  const colon = line.lastIndexOf(":", line.indexOf("|"));
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon).trim();
  const parts = line.slice(colon + 1).split("|");
  if (parts.length < 2 || name === "" || /[\s]/.test(name)) return undefined;
  const raw = parts[0]!.trim();
  const t = parts[1]!.trim();
  const type = t === "c" ? "c" : t === "g" ? "g" : t === "ms" || t === "h" || t === "d" ? "ms" : t === "s" ? "s" : undefined;
  if (!type) return undefined;
  let rate = 1;
  const tags: Record<string, string> = {};
  for (const p of parts.slice(2)) {
    if (p.startsWith("@")) {
      rate = Number(p.slice(1));
      if (!(rate > 0 && rate <= 1)) return undefined;
    } else if (p.startsWith("#")) {
      for (const tag of p.slice(1).split(",")) {
        if (!tag) continue;
        const i = tag.indexOf(":");
        tags[i < 0 ? tag : tag.slice(0, i)] = i < 0 ? "" : tag.slice(i + 1);
      }
    }
  }
  const value = type === "s" ? 0 : Number(raw);
  if (type !== "s" && (raw === "" || !Number.isFinite(value))) return undefined;
  return { name, value, raw, type, delta: type === "g" && (raw.startsWith("+") || raw.startsWith("-")), rate, tags };
}

/** One aggregated value ready to ship. */
export interface StatsdPoint {
  name: string;
  value: number;
  counter: boolean;
  tags: Record<string, string>;
}

/** Aggregates the lines of one task between flushes. */
export class StatsdAggregator {
  private counters = new Map<string, { name: string; tags: Record<string, string>; total: number }>();
  private gauges = new Map<string, { name: string; tags: Record<string, string>; value: number }>();
  private timers = new Map<string, { name: string; tags: Record<string, string>; values: number[] }>();
  private sets = new Map<string, { name: string; tags: Record<string, string>; seen: Set<string> }>();
  /** Lines that were not valid StatsD, since the start. */
  malformed = 0;

  /** Takes one datagram (lines separated by newlines). */
  ingest(datagram: string): void {
    for (const line of datagram.split("\n")) {
      if (line.trim() === "") continue;
      const l = parseStatsdLine(line);
      if (!l) {
        this.malformed++;
        continue;
      }
      const key = `${l.name}\u0000${Object.entries(l.tags).sort().join(",")}`;
      if (l.type === "c") {
        const c = this.counters.get(key) ?? { name: l.name, tags: l.tags, total: 0 };
        c.total += l.value / l.rate;
        this.counters.set(key, c);
      } else if (l.type === "g") {
        const g = this.gauges.get(key) ?? { name: l.name, tags: l.tags, value: 0 };
        g.value = l.delta ? g.value + l.value : l.value;
        this.gauges.set(key, g);
      } else if (l.type === "ms") {
        const t = this.timers.get(key) ?? { name: l.name, tags: l.tags, values: [] };
        t.values.push(l.value);
        this.timers.set(key, t);
      } else {
        const s = this.sets.get(key) ?? { name: l.name, tags: l.tags, seen: new Set() };
        s.seen.add(l.raw);
        this.sets.set(key, s);
      }
    }
  }

  /**
   * What to ship now: counters as running totals since the task started (a counter series, so
   * rates stay computable across lost flushes), gauges' last values (kept between flushes), and
   * this interval's timers and sets (then cleared).
   */
  flush(): StatsdPoint[] {
    const out: StatsdPoint[] = [];
    for (const c of this.counters.values()) out.push({ name: c.name, value: c.total, counter: true, tags: c.tags });
    for (const g of this.gauges.values()) out.push({ name: g.name, value: g.value, counter: false, tags: g.tags });
    for (const t of this.timers.values()) {
      const v = t.values.sort((a, b) => a - b);
      const sum = v.reduce((a, b) => a + b, 0);
      out.push(
        { name: `${t.name}.count`, value: v.length, counter: false, tags: t.tags },
        { name: `${t.name}.mean`, value: sum / v.length, counter: false, tags: t.tags },
        { name: `${t.name}.min`, value: v[0]!, counter: false, tags: t.tags },
        { name: `${t.name}.max`, value: v[v.length - 1]!, counter: false, tags: t.tags },
        { name: `${t.name}.p95`, value: v[Math.min(v.length - 1, Math.ceil(v.length * 0.95) - 1)]!, counter: false, tags: t.tags },
      );
    }
    for (const s of this.sets.values()) out.push({ name: s.name, value: s.seen.size, counter: false, tags: s.tags });
    this.timers.clear();
    this.sets.clear();
    return out;
  }
}
