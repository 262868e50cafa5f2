/**
 * Marathon's launch backoff: after a task of an app fails, the next launch waits
 * `backoffSeconds * backoffFactor^(failures-1)`, capped at `maxLaunchDelaySeconds`; a task that
 * reaches TASK_RUNNING resets it.
 */
export interface BackoffState {
  failures: number;
  /** Epoch ms before which no new instance of the app is launched. */
  notBefore: number;
}

/** The backoff after one more failure at `now`. */
export function afterFailure(
  prev: BackoffState | undefined,
  now: number,
  spec: { backoffSeconds: number; backoffFactor: number; maxLaunchDelaySeconds: number },
): BackoffState {
  const failures = (prev?.failures ?? 0) + 1;
  const delaySeconds = Math.min(spec.backoffSeconds * spec.backoffFactor ** (failures - 1), spec.maxLaunchDelaySeconds);
  return { failures, notBefore: now + delaySeconds * 1000 };
}
