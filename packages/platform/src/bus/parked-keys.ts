/**
 * What one consumer has parked: for each ordering key, the first message of it that was parked
 * (every later message of the key is held back behind it), and the set of every parked message,
 * so a redelivery of one is recognised instead of parked twice. Loaded from the PARKED stream at
 * start (`openParking`), then kept current by `InOrderHandler`.
 *
 * Memory grows with what is parked (kept 30 days): parking is meant to be rare. A key is released
 * only when its parked messages leave the PARKED stream (age, or an operator purging them) and the
 * consumer restarts.
 */
export class ParkedKeys {
  readonly #roots = new Map<string, string>();
  readonly #parked = new Set<string>();

  /** `<stream>#<seq>` of the parked message a key is held back behind, or undefined when the key is free. */
  heldBehind(key: string): string | undefined {
    return this.#roots.get(key);
  }

  /** True when this message of `stream` was parked already (by this run or an earlier one). */
  isParked(stream: string, seq: number): boolean {
    return this.#parked.has(ref(stream, seq));
  }

  /** Records a parked message; the first one recorded for a key stays the one its key is held behind. */
  record(stream: string, seq: number, key: string | undefined): void {
    this.#parked.add(ref(stream, seq));
    if (key !== undefined && !this.#roots.has(key)) this.#roots.set(key, ref(stream, seq));
  }

  /** Keys held back, each with the `<stream>#<seq>` it is held behind. */
  heldKeys(): ReadonlyMap<string, string> {
    return this.#roots;
  }

  /** Number of messages recorded as parked. */
  get parkedCount(): number {
    return this.#parked.size;
  }
}

function ref(stream: string, seq: number): string {
  return `${stream}#${seq}`;
}
