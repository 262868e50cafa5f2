import type { EventStore, Position } from "@gantry/platform";

/**
 * Counts committed placements per app by reading the log's instance streams in commit order
 * from a position on (each poll reads only what was committed since the last). An instance's
 * stream is `instance-<app path, "/" as "_">.instance-<uuid>`, so no payload is parsed.
 */
export class PlacementCounter {
  readonly #store: EventStore;
  #after: Position;
  readonly #placed = new Map<string, number>();

  constructor(store: EventStore, after: Position) {
    this.#store = store;
    this.#after = after;
  }

  /** Reads what was committed since the last poll. */
  async poll(): Promise<void> {
    for (;;) {
      const page = await this.#store.readPage({ after: this.#after, limit: 10_000, streamTypes: ["instance"] });
      for (const e of page.events) {
        if (e.type !== "InstancePlaced") continue;
        const app = e.streamId.slice("instance-".length, e.streamId.lastIndexOf(".instance-"));
        this.#placed.set(app, (this.#placed.get(app) ?? 0) + 1);
      }
      this.#after = page.next;
      if (page.caughtUp) return;
    }
  }

  /** Placements of `appId` committed up to the last poll. */
  placed(appId: string): number {
    return this.#placed.get(appId.replace(/^\//, "").replaceAll("/", "_")) ?? 0;
  }
}
