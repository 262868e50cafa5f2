import type { Logger } from "../logging/index.ts";
import type { Position } from "./event.ts";
import type { EventStore } from "./event-store.ts";

/** The checkpoint the relay records its progress under (informational: JetStream's tail is the truth). */
export const RELAY_SUBSCRIPTION_ID = "relay";

/** Longest time the relay's checkpoint trails what it published. */
export const RELAY_CHECKPOINT_INTERVAL_MS = 1_000;

/** The relay's checkpoint, written behind its publishes. */
export interface RelayCheckpoint {
  /** Notes that everything up to `position` is on JetStream; written within the interval. */
  record(position: Position): void;
  /** Writes the last position recorded, if it is not written yet. */
  flush(): Promise<void>;
}

/**
 * The relay's checkpoint written at most once per `intervalMs`, the last position always (a
 * timer writes it when the interval ends). Only a relay whose stream lost its last message reads
 * it (`readTail`), so it need not follow every batch: one autocommit write, and its fsync, per
 * batch was a third of the log's commits under a steady load of creates. A failed write is
 * logged; the next one supersedes it.
 */
export function relayCheckpoint(store: Pick<EventStore, "setCheckpoint">, logger: Logger, intervalMs = RELAY_CHECKPOINT_INTERVAL_MS): RelayCheckpoint {
  let latest: Position | undefined;
  let writtenAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    clearTimeout(timer);
    timer = undefined;
    const position = latest;
    latest = undefined;
    if (position === undefined) return writing;
    writtenAt = Date.now();
    writing = writing.then(() => store.setCheckpoint(RELAY_SUBSCRIPTION_ID, position)).catch((err: unknown) => logger.warn({ err }, "recording the relay's checkpoint failed; the next one replaces it"));
    return writing;
  };
  return {
    record(position) {
      latest = position;
      if (timer !== undefined) return;
      const wait = writtenAt + intervalMs - Date.now();
      if (wait <= 0) void write();
      else timer = setTimeout(write, wait);
    },
    flush: write,
  };
}
