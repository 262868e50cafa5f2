import type { NewEvent } from "./event.ts";

/**
 * What a writer believes the stream's version is: a number (0 = the stream does not exist yet),
 * `"no_stream"` (same as 0), or `"any"` (no check; the append always succeeds).
 */
export type ExpectedVersion = number | "no_stream" | "any";

/** The outcome of one append: the new version and the positions taken, or the version found instead. */
export type AppendResult =
  | { ok: true; nextVersion: number; firstPosition: bigint; lastPosition: bigint }
  | { ok: false; actualVersion: number };

/** One stream's part of an `appendMany` transaction. */
export interface StreamAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
}

/** One stream whose expected version did not hold in an `appendMany`. */
export interface StreamConflict {
  streamId: string;
  expectedVersion: ExpectedVersion;
  actualVersion: number;
}

/**
 * The outcome of `appendMany`: every stream's new version (in input order) and the positions of
 * the whole transaction, or every stream whose expected version did not hold (nothing written).
 */
export type AppendManyResult =
  | { ok: true; streams: { streamId: string; nextVersion: number }[]; firstPosition: bigint; lastPosition: bigint }
  | { ok: false; conflicts: StreamConflict[] };
