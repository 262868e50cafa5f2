import { BURST_COALESCE_MS, delay, type EventStore, type Logger, type Position } from "@gantry/platform";
import type { Scheduler } from "../app/scheduler.ts";

const isBefore = (a: Position, b: Position) => a.transactionId < b.transactionId || (a.transactionId === b.transactionId && a.globalPosition < b.globalPosition);

/**
 * The scheduler's one input from the log: events of `streamTypes` in commit order from the
 * state's folded position, straight from Postgres (no relay in between, one recorded position).
 * Runs until `signal` aborts, woken by the log's NOTIFY; a failure (Postgres unreachable) is
 * logged and the follower starts again from the state's position after half a second.
 */
export async function followLog(store: EventStore, scheduler: Scheduler, streamTypes: readonly string[], signal: AbortSignal, logger: Logger): Promise<void> {
  while (!signal.aborted) {
    try {
      await store.follow({
        after: scheduler.state.position,
        streamTypes,
        batchSize: 5_000,
        coalesceMs: BURST_COALESCE_MS,
        signal,
        handler: (events, next) => scheduler.applyLog(events, next),
        onCaughtUp: (position) => void scheduler.advanceTo(position),
      });
    } catch (err) {
      if (signal.aborted) break;
      logger.error({ err }, "following the log failed; starting again");
      await delay(500, signal);
    }
  }
}

/**
 * Folds the log (of `streamTypes`) until the state's position reaches `until` (default: what is
 * below the horizon now). Pages are prefetched while the previous one folds. Resolves with the
 * number of events folded; returns early when `signal` aborts.
 */
export async function catchUpLog(store: EventStore, scheduler: Scheduler, streamTypes: readonly string[], signal: AbortSignal, logger: Logger, until?: Position): Promise<number> {
  let folded = 0;
  let waitedSince: number | undefined;
  const read = (after: Position) => store.readPage({ after, limit: 10_000, streamTypes });
  for (;;) {
    // The next page is read while this one folds.
    let pending = read(scheduler.state.position);
    for (;;) {
      const page = await pending;
      if (!page.caughtUp) pending = read(page.next);
      if (page.events.length > 0) await scheduler.applyLog(page.events, page.next);
      else await scheduler.advanceTo(page.next);
      folded += page.events.length;
      if (page.caughtUp || signal.aborted) break;
    }
    if (!until || !isBefore(scheduler.state.position, until) || signal.aborted) return folded;
    // A transaction older than `until` is still open somewhere: the horizon waits for it.
    waitedSince ??= Date.now();
    if (Date.now() - waitedSince > 5_000) {
      logger.warn({ position: `${scheduler.state.position.transactionId}`, until: `${until.transactionId}` }, "catching up with the log waits for an open transaction");
      waitedSince = Date.now();
    }
    await delay(20, signal);
  }
}
