/** What `deliveredBatches` races the next message against: the end of the current turn of the event loop. */
const TURN_ENDED = Symbol("turn ended");

/** Resolves after every message already delivered (microtasks, I/O read in this turn) is out of the way. */
const endOfTurn = () => new Promise<typeof TURN_ENDED>((resolve) => setImmediate(() => resolve(TURN_ENDED)));

/**
 * The messages of `messages` in batches of whatever has been delivered together: waits for one,
 * then takes every message the iterator hands over before the event loop's turn ends, up to
 * `max`. A batch never waits for a message that has not arrived yet.
 *
 * Written because `ConsumerMessages.getPending()` of nats.js 3.4 cannot tell: it counts a pull
 * renewal queued among the messages as a message still pending until that group of messages is
 * used up, so a reader that took "more while getPending() > 0" kept the last reports of a burst
 * until the next report came (seconds, or never; see the scheduler's status reader).
 */
export async function* deliveredBatches<T>(messages: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  if (!(max >= 1)) throw new RangeError(`a batch holds at least one message, not ${max}`);
  const iterator = messages[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const first = await next;
      if (first.done) return;
      const batch = [first.value];
      let ended = false;
      next = iterator.next();
      while (batch.length < max) {
        const more = await Promise.race([next, endOfTurn()]);
        if (more === TURN_ENDED) break;
        if (more.done) {
          ended = true;
          break;
        }
        batch.push(more.value);
        next = iterator.next();
      }
      yield batch;
      if (ended) return;
    }
  } finally {
    // The caller stopped early (break, throw): end the source too, as a for-await would.
    void iterator.return?.();
  }
}
