import type pg from "pg";
import { delay } from "../async/delay.ts";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";
import { readAllPage, type ReadPage } from "./commit-order-reader.ts";
import type { NotificationListener } from "./notification-listener.ts";

/**
 * What a follower runs: `handler` gets each page of committed events in commit order (at most
 * `batchSize`), with the position the next read starts from. It may return another position to
 * continue from instead (a checkpoint another instance moved). `onCaughtUp` is told whenever the
 * follower has read everything below the horizon, with its position: a filtered follower moves
 * past the events it does not follow this way, even when none of its own arrive.
 */
export interface FollowOptions {
  after?: Position;
  /** Follow only these stream types (default: all). */
  streamTypes?: readonly string[];
  handler: (events: RecordedEvent[], next: Position) => Promise<Position | void> | Position | void;
  onCaughtUp?: (position: Position) => void;
  /** Events per page; default 500. */
  batchSize?: number;
  /** Stops the loop; the follower then resolves. */
  signal?: AbortSignal;
  /** Longest wait for a notification before reading anyway; default 500 ms. */
  pollIntervalMs?: number;
  /**
   * After a notification, wait this long before reading (default 0: at once): a fixed delay, not
   * a debounce, so a steady stream of commits never holds the follower off. The commits of a
   * burst that fits in it are read, and handled, as one page instead of one page each. Only a
   * follower that was notified waits (woken, or notified during its last read); one that has
   * more to read, or woke at its poll, does not.
   */
  coalesceMs?: number;
  logger?: Logger;
}

/**
 * The `coalesceMs` the services' followers of the log use (the scheduler's input, the registry's
 * projection, the relay); why, and what it was measured to do: this folder's README.
 */
export const BURST_COALESCE_MS = 15;

/** Pause before a page whose read failed is read again. */
const READ_RETRY_MS = 500;

/**
 * Follows the log from `after` until `signal` aborts (then resolves) or the handler throws (then
 * rejects): read a page below the horizon → handler → continue. While the handler works on a full
 * page, the next page is already being read (dropped if the handler moves the position). Wakes
 * on the append channel's NOTIFY, and polls every `pollIntervalMs` because rows cross the horizon
 * without a new notification when the transaction that held it back wrote nothing. With
 * `coalesceMs`, a notified follower waits that long before it reads. A read that
 * fails (Postgres restarting, failing over, unreachable) is logged and read again after a pause,
 * from the same position, for as long as it takes: only the handler's failures end the follower.
 */
export async function runFollower(pool: pg.Pool, listener: NotificationListener, options: FollowOptions): Promise<void> {
  const { signal, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const coalesceMs = options.coalesceMs ?? 0;
  if (!Number.isFinite(coalesceMs) || coalesceMs < 0) throw new GantryError("InvalidArgument", `coalesceMs ${coalesceMs} must be a number of milliseconds, 0 or more`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new GantryError("InvalidArgument", `batchSize ${batchSize} must be a positive integer`);
  await listener.listen().catch((err: unknown) => logger?.warn({ err }, "LISTEN failed; polling"));
  // Each read remembers the notification count from before it started: a wait after it returns
  // at once if anything was appended since, so no notification falls between read and wait.
  const read = (after: Position) => {
    const generation = listener.generation;
    const page = readAllPage(pool, { after, limit: batchSize, ...(options.streamTypes ? { streamTypes: options.streamTypes } : {}) });
    page.catch(() => undefined);
    return { after, generation, page };
  };
  let position = options.after ?? START;
  let pending = read(position);
  while (!signal?.aborted) {
    const current = pending;
    let page: ReadPage;
    try {
      page = await current.page;
    } catch (err) {
      logger?.warn({ err }, "reading the log failed; reading again");
      await delay(READ_RETRY_MS, signal);
      pending = read(current.after);
      continue;
    }
    if (!page.caughtUp) pending = read(page.next);
    if (page.events.length > 0) {
      const moved = await options.handler(page.events, page.next);
      position = moved ?? page.next;
      if (moved && !page.caughtUp) pending = read(position);
    } else {
      position = page.next;
    }
    if (page.caughtUp) {
      options.onCaughtUp?.(position);
      await listener.wait(pollIntervalMs, signal, current.generation);
      if (coalesceMs > 0 && listener.generation !== current.generation) await delay(coalesceMs, signal);
      pending = read(position);
    }
  }
}
