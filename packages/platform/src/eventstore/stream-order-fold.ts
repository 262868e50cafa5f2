import type { RecordedEvent } from "./event.ts";

/** What `foldInStreamOrder` needs of a read model: the version it holds of a stream, and how to fold one event. */
export interface StreamOrderedFold<E extends Pick<RecordedEvent, "streamId" | "streamVersion"> = RecordedEvent> {
  /** The last version of `streamId` folded; 0 when the stream is unknown or was forgotten. */
  versionOf(streamId: string): number;
  apply(event: E | RecordedEvent): void;
}

/**
 * Folds events with every stream in version order and no gap. An event at or below the folded
 * version is ignored (already folded). An event more than one version ahead of a stream the
 * model holds means a gap: the missing versions are read from the stream (`readStream`, which
 * does not wait for the horizon) and folded first, never skipped. An event of a stream the model
 * does not hold, past its first version, belongs to an entity the model has forgotten (ended and
 * dropped, or folded into a snapshot before it ended) and is ignored unless `fillForgotten`.
 */
export async function foldInStreamOrder<E extends Pick<RecordedEvent, "streamId" | "streamVersion">>(
  reader: { readStream(streamId: string, options?: { fromVersion?: number }): Promise<RecordedEvent[]> },
  model: StreamOrderedFold<E>,
  events: Iterable<E>,
  options: { fillForgotten?: boolean } = {},
): Promise<void> {
  for (const e of events) {
    const known = model.versionOf(e.streamId);
    if (e.streamVersion <= known) continue;
    if (e.streamVersion > known + 1) {
      if (known === 0 && !options.fillForgotten) continue;
      for (const missing of await reader.readStream(e.streamId, { fromVersion: known + 1 })) {
        if (missing.streamVersion < e.streamVersion && missing.streamVersion > model.versionOf(e.streamId)) model.apply(missing);
      }
    }
    model.apply(e);
  }
}
