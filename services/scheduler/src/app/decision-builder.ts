import type { StreamBatch } from "./ports.ts";

/**
 * The appends of one decision, gathered stream by stream: a second batch for a stream already
 * in the decision continues it (its events follow, at the version the first one expected), so
 * several changes of one stream in one transaction keep their order and their fence.
 */
export class DecisionBuilder {
  readonly #byStream = new Map<string, StreamBatch>();

  add(batch: StreamBatch): void {
    const known = this.#byStream.get(batch.streamId);
    if (known) known.events.push(...batch.events);
    else this.#byStream.set(batch.streamId, { ...batch, events: [...batch.events] });
  }

  get size(): number {
    return this.#byStream.size;
  }

  batches(): StreamBatch[] {
    return [...this.#byStream.values()];
  }
}
