import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { nanos, TimeoutError } from "@nats-io/nats-core";
import type { Bus } from "./bus.ts";

/** What a service declares about a JetStream stream; names are suffixes the cluster prefixes. */
export interface StreamDeclaration {
  /** Stream name suffix, e.g. "EVENTS" → `GANTRY_EVENTS`. */
  name: string;
  /** Subject suffixes, e.g. ["events.>"] → `gantry.events.>`. */
  subjects: string[];
  /** Window in which a repeated message id is dropped (default 2 minutes). */
  duplicateWindowMs?: number;
  /** Oldest message kept (default: forever). */
  maxAgeMs?: number;
  /** Most bytes kept; the oldest messages go first beyond it (default: unbounded). */
  maxBytes?: number;
  /** "limits" keeps messages for every consumer (default); "workqueue" removes them once acked. */
  retention?: "limits" | "workqueue";
}

/** Times a declaration is sent when JetStream leaves it unanswered (each request waits 5 s). */
const DECLARE_ATTEMPTS = 4;

/**
 * Creates the stream, or updates it in place when it exists with other settings; returns its
 * full name. File storage always: what reaches JetStream survives a server restart; and
 * `names.streamReplicas` copies (on a NATS cluster, the stream survives losing a minority of them).
 * A request JetStream does not answer is sent again (up to DECLARE_ATTEMPTS times): a NATS 2.9
 * cluster leaves requests about a stream unanswered while it is creating that stream, which is
 * what happens when several services start at once; the stream exists when they ask again.
 */
export async function ensureStream(bus: Pick<Bus, "jsm" | "names">, declaration: StreamDeclaration): Promise<string> {
  const name = bus.names.stream(declaration.name);
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects: declaration.subjects.map((s) => bus.names.subject(s)),
    storage: StorageType.File,
    num_replicas: bus.names.streamReplicas,
    retention: declaration.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    duplicate_window: nanos(declaration.duplicateWindowMs ?? 120_000),
    max_age: declaration.maxAgeMs === undefined ? 0 : nanos(declaration.maxAgeMs),
    ...(declaration.maxBytes === undefined ? {} : { max_bytes: declaration.maxBytes }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await createOrUpdate(bus.jsm, config);
      return name;
    } catch (err) {
      if (!(err instanceof TimeoutError) || attempt >= DECLARE_ATTEMPTS) throw err;
    }
  }
}

async function createOrUpdate(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another service declared it between our info and add: that is fine.
      if (!String((addErr as Error).message).includes("already in use")) throw addErr;
    }
  }
}

function isStreamNotFound(err: unknown): boolean {
  // JetStreamApiError carries the server's err_code as `code` (10059: stream not found).
  const e = err as { code?: unknown; message?: string };
  return e?.code === 10059 || String(e?.message).includes("stream not found");
}

/** Deletes every stream of this cluster (test and teardown helper; never used by services at run time). */
export async function deleteClusterStreams(bus: Pick<Bus, "jsm" | "names">): Promise<void> {
  const prefix = bus.names.stream("");
  for await (const name of bus.jsm.streams.names()) {
    // Its KV buckets too (a bucket's stream is `KV_<bucket>`, e.g. the principal directory's).
    if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await bus.jsm.streams.delete(name);
  }
}
