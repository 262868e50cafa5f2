import { hostname as osHostname } from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { logsV1, LOGS_STREAM, logsComponentSubject } from "@gantry/proto";
import { ensureStream, type Bus } from "@gantry/platform/bus";
import { attachLogTap } from "@gantry/platform/logging";

/** A running shipper of this process's own logs. */
export interface ComponentLogShipping {
  /** Lines shipped, and lines dropped because the buffer was full (NATS slow or down). */
  readonly stats: { shipped: number; dropped: number };
  /** Ships what is buffered (waiting at most `timeoutMs`), then detaches. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ComponentLogShippingOptions {
  /** A bus, or just a JetStream client and manager with the cluster's names (what a bare NATS connection gives). */
  bus: Pick<Bus, "js" | "jsm" | "names">;
  /** The component a line without one is counted as (the process's). */
  component: string;
  /** Lines kept while NATS is slow; beyond it new lines are dropped and counted (default 10,000). */
  maxBufferedLines?: number;
  /** How often buffered lines are published (default 250 ms). */
  flushEveryMs?: number;
}

interface Buffered {
  component: string;
  agentId: string;
  time: bigint;
  level: number;
  text: string;
}

/**
 * Ships this process's own structured (pino) log lines to the LOGS stream, as
 * `<cluster>.logs.component.<component>` batches (component from each line's `component` field,
 * so one `gantry up` process ships each service's lines under its own name; an agent's lines as
 * its node's, from the `node` field its logger binds). Never blocks the service: lines are queued
 * by a log tap into a bounded buffer
 * and published every `flushEveryMs`, one batch per component at a time; when NATS is slow or
 * down the buffer fills and further lines are dropped and counted, and the count is reported
 * (shipped as a warn line, and in `stats`) once lines flow again.
 */
export async function startComponentLogShipping(options: ComponentLogShippingOptions): Promise<ComponentLogShipping> {
  // One shipper per process: several services in one process (`gantry up`) share the first's,
  // which ships every line once under the line's own component.
  if (active) {
    const shared = active;
    shared.users++;
    return { stats: shared.shipping.stats, stop: async (timeoutMs) => (--shared.users === 0 ? shared.shipping.stop(timeoutMs) : undefined) };
  }
  const shipping = await startShipping(options);
  const entry = { shipping, users: 1 };
  active = entry;
  return {
    stats: shipping.stats,
    async stop(timeoutMs) {
      if (--entry.users > 0) return;
      if (active === entry) active = undefined;
      await shipping.stop(timeoutMs);
    },
  };
}

/** The field an agent's logger binds to its node id: lines carrying it are shipped as that node's (`gantry node log`). */
export const NODE_LOG_FIELD = "node";

let active: { shipping: ComponentLogShipping; users: number } | undefined;

async function startShipping(options: ComponentLogShippingOptions): Promise<ComponentLogShipping> {
  const { bus } = options;
  await ensureStream(bus, LOGS_STREAM);
  const max = options.maxBufferedLines ?? 10_000;
  const host = osHostname();
  const stats = { shipped: 0, dropped: 0 };
  let reportedDrops = 0;
  let buffer: Buffered[] = [];
  let counter = 0;
  const instance = `${host}/${process.pid}/${Date.now().toString(36)}`;

  const detach = attachLogTap((line) => {
    if (buffer.length >= max) {
      stats.dropped++;
      return;
    }
    const v = JSON.parse(line) as { component?: unknown; level?: unknown; time?: unknown; msg?: unknown; [field: string]: unknown };
    // A line of an agent (its logger binds NODE_LOG_FIELD, whatever component a part of it logs
    // under) is that node's; another component's line naming an agent keeps the name in its text.
    const node = v[NODE_LOG_FIELD];
    const { level: _l, time: _t, component: _c, msg: _m, pid: _p, hostname: _h, [NODE_LOG_FIELD]: _n, ...fields } = v;
    const rest = Object.keys(fields).length > 0 ? JSON.stringify(fields) : "";
    const ms = typeof v.time === "string" ? Date.parse(v.time) : typeof v.time === "number" ? v.time : Date.now();
    buffer.push({
      component: typeof v.component === "string" ? v.component : options.component,
      agentId: typeof node === "string" ? node : "",
      time: BigInt(Number.isFinite(ms) ? ms : Date.now()) * 1000n,
      level: typeof v.level === "number" ? v.level : 30,
      // The message, then the line's other fields (ids, errors): what an operator searches.
      text: [typeof v.msg === "string" ? v.msg : "", rest].filter((t) => t !== "").join(" "),
    });
  });

  let flushing: Promise<void> | undefined;
  const flush = async () => {
    if (stats.dropped > reportedDrops) {
      const lost = stats.dropped - reportedDrops;
      reportedDrops = stats.dropped;
      buffer.push({ component: options.component, agentId: "", time: BigInt(Date.now()) * 1000n, level: 40, text: `log shipping dropped ${lost} lines (${stats.dropped} in all): NATS was slow or unreachable` });
    }
    if (buffer.length === 0) return;
    const taken = buffer;
    buffer = [];
    const byComponent = new Map<string, Buffered[]>();
    for (const b of taken) byComponent.set(`${b.component}\u0000${b.agentId}`, [...(byComponent.get(`${b.component}\u0000${b.agentId}`) ?? []), b]);
    for (const lines of byComponent.values()) {
      const { component, agentId } = lines[0]!;
      const batch = create(logsV1.LogBatchSchema, {
        agentId,
        hostname: host,
        chunks: [{ component, stream: "log", timesUnixMicros: lines.map((l) => l.time), levels: lines.map((l) => l.level), texts: lines.map((l) => l.text) }],
      });
      try {
        await bus.js.publish(bus.names.subject(logsComponentSubject(component)), toBinary(logsV1.LogBatchSchema, batch), { msgID: `${instance}/${++counter}`, timeout: 5_000 });
        stats.shipped += lines.length;
      } catch {
        // Not shipped: counted as dropped (reported with the next batch that goes through).
        stats.dropped += lines.length;
      }
    }
  };
  const timer = setInterval(() => {
    if (!flushing) flushing = flush().finally(() => (flushing = undefined));
  }, options.flushEveryMs ?? 250);
  timer.unref();

  return {
    stats,
    async stop(timeoutMs = 2_000) {
      clearInterval(timer);
      detach();
      const last = (flushing ?? Promise.resolve()).then(flush);
      await Promise.race([last, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
}
