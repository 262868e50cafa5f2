/** Events folded per live instance that make a snapshot due. */
export const SNAPSHOT_EVENTS_PER_INSTANCE = 4;
/** Events folded that make a snapshot due however small the state. */
export const SNAPSHOT_MIN_EVENTS = 10_000;

/**
 * Whether the state moved on enough since the last snapshot to save another. Encoding costs
 * O(state) and holds the scheduler's queue (50,000 instances: about 0.3 s), so it is amortised
 * over the events that make it worth it: due after max(10,000, 4 × live instances) folded events,
 * or once `maxAgeMs` passed since the last when anything changed at all. A start then folds at
 * most that many events after the snapshot, which costs about what loading the snapshot does.
 */
export function snapshotDue(since: { foldedEvents: number; elapsedMs: number }, liveInstances: number, maxAgeMs: number): boolean {
  if (since.foldedEvents === 0) return false;
  return since.foldedEvents >= Math.max(SNAPSHOT_MIN_EVENTS, SNAPSHOT_EVENTS_PER_INSTANCE * liveInstances) || since.elapsedMs >= maxAgeMs;
}
