import { ConcurrencyError, type EventStore, type NewEvent } from "@gantry/platform";

/** Who acts, as recorded in each event's metadata. */
export interface Actor {
  principal: string;
  correlationId: string;
}

/** What `appendDecided` needs: the log, the version this replica has folded of a stream, and a catch-up. */
export interface DecidedAppendPorts {
  store: Pick<EventStore, "append">;
  streamVersion(streamId: string): number;
  /** Folds the log until the stream reached `version` (this replica's write or another's). */
  catchUp(streamId: string, version: number): Promise<void>;
}

/**
 * Decides against the folded state and appends the events at the version it was decided on,
 * with the actor in their metadata, then waits until the projection holds them (the next call
 * sees them). When another replica wrote the stream in between, catches up and decides again,
 * up to `attempts` times. Nothing is written when `decide` returns no event.
 */
export async function appendDecided(ports: DecidedAppendPorts, streamId: string, actor: Actor, decide: () => NewEvent[], attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const expected = ports.streamVersion(streamId);
    const events = decide().map((e) => ({ ...e, metadata: { principal: actor.principal, correlationId: actor.correlationId } }));
    if (events.length === 0) return;
    const result = await ports.store.append(streamId, expected, events);
    if (result.ok) return ports.catchUp(streamId, result.nextVersion);
    if (attempt >= attempts) throw new ConcurrencyError(streamId, expected, result.actualVersion);
    await ports.catchUp(streamId, result.actualVersion);
  }
}
