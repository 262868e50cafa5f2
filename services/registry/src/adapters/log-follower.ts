import { BURST_COALESCE_MS, foldInStreamOrder, GantryError, START, type EventStore, type Logger, type Position, type RecordedEvent } from "@gantry/platform";
import type { RegistryProjection } from "../app/registry.projection.ts";
import { IAM_STREAM_TYPES, type IamProjection } from "../iam/iam.projection.ts";

/** The stream types the registry's projection folds (its own, and the scheduler's `rollout-*`). */
const REGISTRY_STREAM_TYPES = ["app", "pod", "group", "deployment", "rollout", "secret"] as const;
const FOLLOWED_STREAM_TYPES = [...REGISTRY_STREAM_TYPES, ...IAM_STREAM_TYPES];

/** What the registry folds from the log: desired state and deployments, and principals and grants. */
export interface RegistryProjections {
  registry: RegistryProjection;
  iam: IamProjection;
}

/** The projection a stream belongs to, by its type (the id's prefix). */
function projectionOf(projections: RegistryProjections, streamId: string): RegistryProjection | IamProjection {
  return (IAM_STREAM_TYPES as readonly string[]).includes(streamId.slice(0, streamId.indexOf("-"))) ? projections.iam : projections.registry;
}

/** A projection kept current from the log; see `followLog`. */
export interface LogFollower {
  /** Folds what the log holds below the horizon now (serialised with the follower). */
  catchUp(): Promise<void>;
  /** Folds the log's tail until every conflicting stream reached the version the conflict reported. */
  catchUpStreams(conflicts: { streamId: string; actualVersion: number }[]): Promise<void>;
  /**
   * Reads the given deployments' streams (`deployment-<id>`, `rollout-<id>`) directly, without
   * waiting for the horizon, and folds what is new: a deployment that finished a moment ago
   * stops locking its apps here at once.
   */
  refreshDeployments(ids: readonly string[]): Promise<void>;
  /** Settles when the follower stopped (after `signal` aborted). */
  done: Promise<void>;
}

/**
 * Keeps a RegistryProjection current: folds every app, pod, group, deployment and rollout event
 * of the log at start (commit order, below the horizon), then follows the tail, woken by the
 * log's NOTIFY (a burst is read together, `BURST_COALESCE_MS` after the notification; no polling
 * interval to wait out), so changes made by other registry replicas and the scheduler's rollout
 * progress show up here. Each stream is folded in version order with no gap: a fold that finds
 * one reads the missing events from the stream before going on. All folds go through one
 * queue, so the follower, catch-ups and direct reads never interleave.
 */
export async function followLog(store: EventStore, projections: RegistryProjections, logger: Logger, signal: AbortSignal): Promise<LogFollower> {
  const projection = projections.registry;
  const streamVersion = (streamId: string) => projectionOf(projections, streamId).streamVersion(streamId);
  let after: Position = START;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const fold = (events: readonly RecordedEvent[]) => foldInOrder(store, projections, events);
  const readTail = () =>
    serial(async () => {
      for await (const page of store.readAllPages({ after, streamTypes: FOLLOWED_STREAM_TYPES })) {
        await fold(page);
        after = page.next;
      }
    });

  await readTail();
  logger.info({ apps: projection.state().apps.size, pods: projection.state().pods.size, running: projection.running().length, principals: projections.iam.principals.size }, "registry projection rebuilt from the log");
  const done = store
    .follow({
      after,
      streamTypes: FOLLOWED_STREAM_TYPES,
      coalesceMs: BURST_COALESCE_MS,
      signal,
      // Other paths (catch-ups) may have moved the position on: continue from the furthest.
      handler: (events, next) =>
        serial(async () => {
          await fold(events);
          if (isAfter(next, after)) after = next;
          return after;
        }),
      onCaughtUp: (position) => {
        if (isAfter(position, after)) void serial(async () => (after = isAfter(position, after) ? position : after));
      },
    })
    .catch((err: unknown) => {
      if (!signal.aborted) logger.error({ err }, "following the log stopped");
    });
  return {
    catchUp: readTail,
    async catchUpStreams(conflicts) {
      // Follow the tail (never read the streams alone): it delivers whole transactions, so the
      // winner's DeploymentPlanned arrives with the stream versions it took, and the next decision
      // sees its lock. The horizon may hold the tail back a moment; past the deadline the caller
      // gets Aborted and may retry.
      const deadline = Date.now() + 5_000;
      for (;;) {
        await readTail();
        if (conflicts.every((c) => streamVersion(c.streamId) >= c.actualVersion)) return;
        if (Date.now() > deadline) {
          throw new GantryError("Aborted", `another registry replica changed ${conflicts.map((c) => c.streamId).join(", ")} and its change is not visible yet; retry`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    refreshDeployments(ids) {
      return serial(async () => {
        for (const id of ids) {
          for (const streamId of [`deployment-${id}`, `rollout-${id}`]) {
            await fold(await store.readStream(streamId, { fromVersion: projection.streamVersion(streamId) + 1 }));
          }
        }
      });
    },
    done,
  };
}

/**
 * Folds events into the projection with every stream in version order and no gap (the registry
 * forgets no stream, so a gap is always read from the log). See `foldInStreamOrder`.
 */
export function foldInOrder(store: Pick<EventStore, "readStream">, projections: RegistryProjections, events: readonly RecordedEvent[]): Promise<void> {
  return foldInStreamOrder(store, { versionOf: (id) => projectionOf(projections, id).streamVersion(id), apply: (e) => void projectionOf(projections, e.streamId).apply(e) }, events, { fillForgotten: true });
}

function isAfter(a: Position, b: Position): boolean {
  return a.transactionId > b.transactionId || (a.transactionId === b.transactionId && a.globalPosition > b.globalPosition);
}
