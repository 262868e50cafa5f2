import { positionOf, START, type EventStore, type Logger, type Position } from "@gantry/platform";
import { RegistryProjection } from "../app/registry.projection.ts";

/** A projection kept current from the log; see `followLog`. */
export interface LogFollower {
  /** Folds the log's tail now (serialised with the periodic fold). */
  catchUp(): Promise<void>;
  /** Folds the given streams straight from their rows (what a lost race wrote), then the tail. */
  catchUpStreams(streamIds: string[]): Promise<void>;
  /** Settles when the follower stopped (after `signal` aborted). */
  done: Promise<void>;
}

/**
 * Keeps a RegistryProjection current: folds every app, pod, group, deployment and rollout event
 * of the log at start (commit order, below the horizon), then follows the tail every
 * `intervalMs`, so changes made by other registry replicas and the scheduler's rollout progress
 * show up here. The fold is idempotent per stream version, so the registry's own writes (folded
 * at once) and direct stream reads may be seen again harmlessly.
 */
export async function followLog(store: EventStore, projection: RegistryProjection, logger: Logger, signal: AbortSignal, intervalMs = 250): Promise<LogFollower> {
  let after: Position = START;
  let chain: Promise<void> = Promise.resolve();
  const fold = async () => {
    for await (const page of store.readAllPages({ after })) {
      for (const e of page) if (RegistryProjection.folds(e.streamType)) projection.apply(e);
      after = positionOf(page[page.length - 1]!);
    }
  };
  const catchUp = () => (chain = chain.then(fold, fold));
  await catchUp();
  logger.info({ apps: projection.state().apps.size, pods: projection.state().pods.size, running: projection.running().length }, "registry projection rebuilt from the log");
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
  return {
    catchUp,
    async catchUpStreams(streamIds) {
      for (const streamId of streamIds) {
        for (const e of await store.readStream(streamId, { fromVersion: projection.streamVersion(streamId) + 1 })) projection.apply(e);
      }
      await catchUp();
    },
    done,
  };
}
