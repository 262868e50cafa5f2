import { GantryError } from "../errors/index.ts";
import type { ExpectedVersion } from "./append-result.ts";

/**
 * An append found the stream at another version than the writer expected. Code `Aborted`
 * (retryable: reload the stream, decide again, append again). Carries the stream id, what the
 * writer expected and the version the stream actually had (0 = no stream).
 */
export class ConcurrencyError extends GantryError {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly actualVersion: number;

  constructor(streamId: string, expectedVersion: ExpectedVersion, actualVersion: number, options: { cause?: unknown } = {}) {
    super("Aborted", `stream "${streamId}" is at version ${actualVersion}, expected ${String(expectedVersion)}`, {
      details: { streamId, expectedVersion, actualVersion },
      cause: options.cause,
    });
    this.name = "ConcurrencyError";
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
