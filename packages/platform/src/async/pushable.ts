/** An async iterable fed from outside: what a bidi stream's requests are made from (events → messages). */
export interface Pushable<T> extends AsyncIterable<T> {
  /** Queues a value for the reader (ignored once ended). */
  push(value: T): void;
  /** No more values: the reader ends after taking those queued. */
  end(): void;
}

/**
 * A queue read as an async iterable, in push order, by ONE reader. Values pushed while nobody
 * reads wait in memory (callers that can produce without bound must pace themselves).
 */
export function pushable<T>(): Pushable<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(value) {
      if (ended) return;
      queue.push(value);
      poke();
    },
    end() {
      ended = true;
      poke();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) yield queue.shift()!;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
