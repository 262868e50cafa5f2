import { positionOf, START, type EventStore, type Logger, type Position } from "@gantry/platform";
import type { AppsProjection } from "./apps.projection.ts";

/**
 * Keeps an in-memory AppsProjection current: folds every app event in the log at start, then
 * follows the log's tail (commit order, below the horizon) every `intervalMs`, so changes made
 * by another registry replica show up here too. Its own writes are folded at once by the
 * commands; the fold is idempotent, so seeing them again in the tail is harmless.
 */
export async function followApps(
  store: EventStore,
  apps: AppsProjection,
  logger: Logger,
  signal: AbortSignal,
  intervalMs = 500,
): Promise<{ done: Promise<void> }> {
  let after: Position = START;
  const catchUp = async () => {
    for await (const page of store.readAllPages({ after })) {
      for (const e of page) if (e.streamType === "app") apps.apply(e);
      after = positionOf(page[page.length - 1]!);
    }
  };
  await catchUp();
  logger.info({ apps: apps.list().length }, "apps projection rebuilt from the log");
  const done = (async () => {
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      if (signal.aborted) break;
      try {
        await catchUp();
      } catch (err) {
        logger.error({ err }, "following the log failed; retrying");
      }
    }
  })();
  return { done };
}
