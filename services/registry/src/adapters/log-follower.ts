import { GantryError, positionOf, START, type EventStore, type Logger, type Position } from "@gantry/platform";
import { RegistryProjection } from "../app/registry.projection.ts";

/** A projection kept current from the log; see `followLog`. */
export interface LogFollower {
  /** Folds the log's tail now (serialised with the periodic fold). */
  catchUp(): Promise<void>;
  /** Folds the given streams straight from their rows (what a lost race wrote), then the tail. */
  catchUpStreams(conflicts: { streamId: string; actualVersion: number }[]): Promise<void>;
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
    async catchUpStreams(conflicts) {
      // Follow the tail (never read the streams directly): it delivers whole transactions, so the
      // winner's DeploymentPlanned arrives with the stream versions it took, and the next decision
      // sees its lock. The horizon may hold the tail back a moment; past the deadline the caller
      // gets Aborted and may retry.
      const deadline = Date.now() + 5_000;
      for (;;) {
        await catchUp();
        if (conflicts.every((c) => projection.streamVersion(c.streamId) >= c.actualVersion)) return;
        if (Date.now() > deadline) {
          throw new GantryError("Aborted", `another registry replica changed ${conflicts.map((c) => c.streamId).join(", ")} and its change is not visible yet; retry`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    done,
  };
}
