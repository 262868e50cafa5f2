import type { Logger } from "../logging/index.ts";
import type { Position } from "./event.ts";
import type { EventStore } from "./event-store.ts";

/** The checkpoint the relay records its progress under (informational: JetStream's tail is the truth). */
export const RELAY_SUBSCRIPTION_ID = "relay";

/**
 * How often, at most, the relay's checkpoint is written while it publishes. After a crash the
 * checkpoint may trail what was published by this much (see `relayCheckpoint`).
 */
export const RELAY_CHECKPOINT_INTERVAL_MS = 1_000;

/** The relay's checkpoint, written behind its publishes. */
export interface RelayCheckpoint {
  /** Notes that everything up to `position` is on JetStream; written within the interval. */
  record(position: Position): void;
  /** Writes the last position recorded, if it is not written yet; resolves once it is. */
  flush(): Promise<void>;
}

/**
 * The relay's checkpoint written at most once per `intervalMs`, the last position always (a
 * timer writes it when the interval ends; `flush` at once), one write at a time: a write asked
 * for while one is under way follows it with the latest position. Only a relay whose stream lost
 * its last message reads the checkpoint (`readTail`), so it need not follow every batch: one
 * autocommit write, and its fsync, per batch was a third of the log's commits under a steady
 * load of creates. The price is on that path only: after a crash (kill -9) the checkpoint may
 * trail by up to `intervalMs` of publishing, and a relay that then resumes from it publishes
 * those events again (at least once). A failed write is logged; the next one replaces it.
 */
export function relayCheckpoint(store: Pick<EventStore, "setCheckpoint">, logger: Logger, intervalMs = RELAY_CHECKPOINT_INTERVAL_MS, now: () => number = () => performance.now()): RelayCheckpoint {
  let latest: Position | undefined;
  let writtenAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  const write = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (writing) return writing.then(() => (latest === undefined ? undefined : write()));
    const position = latest;
    if (position === undefined) return Promise.resolve();
    latest = undefined;
    writtenAt = now();
    writing = store
      .setCheckpoint(RELAY_SUBSCRIPTION_ID, position)
      .catch((err: unknown) => logger.warn({ err }, "recording the relay's checkpoint failed; the next one replaces it"))
      .finally(() => (writing = undefined));
    return writing;
  };
  return {
    record(position) {
      latest = position;
      if (timer !== undefined) return;
      const wait = writtenAt + intervalMs - now();
      if (wait <= 0 && !writing) void write();
      else timer = setTimeout(write, Math.max(wait, 0));
    },
    flush: write,
  };
}
