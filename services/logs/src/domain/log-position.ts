import { logCursorPosition } from "@gantry/proto";
import { GantryError } from "@gantry/platform/errors";

/**
 * Where a line sits in the log: the JetStream sequence of the batch that carried it and its index
 * in that batch, packed into one integer (`seq * 65536 + index`). Positions only grow in stream
 * order, so they order lines across agents and restarts, and a stored line keeps its position for
 * ever: that is what makes cursors stable.
 */
export const LINES_PER_BATCH_LIMIT = 65_536;

/** The most lines one batch may carry (its line indexes are 16 bits); shippers cut their blocks to it. */
export const MAX_LINES_PER_BATCH = LINES_PER_BATCH_LIMIT - 1;

/** The position of line `index` of the batch with stream sequence `seq`. */
export function positionOf(seq: number | bigint, index: number): bigint {
  return BigInt(seq) * BigInt(LINES_PER_BATCH_LIMIT) + BigInt(index);
}

/** The stream sequence of the batch a position belongs to. */
export function sequenceOf(position: bigint): bigint {
  return position / BigInt(LINES_PER_BATCH_LIMIT);
}

/**
 * The position of a cursor (`logCursor` of @gantry/proto made it); undefined for the empty cursor
 * (the beginning). Throws InvalidArgument naming the field when it is not one this service issued.
 */
export function decodeCursor(cursor: string, field = "cursor"): bigint | undefined {
  if (cursor === "") return undefined;
  const position = logCursorPosition(cursor);
  if (position === undefined) {
    throw new GantryError("InvalidArgument", `${field} "${cursor.slice(0, 40)}" is not a log cursor (use one a previous answer returned)`, { violations: [{ path: `/${field}`, errors: ["is not a log cursor"] }] });
  }
  return position;
}
