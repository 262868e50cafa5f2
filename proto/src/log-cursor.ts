/**
 * Log cursors: a line's position (its batch's JetStream sequence × 65536 + its index in the
 * batch, the total order of every line) as the opaque text clients pass back (`cursor`,
 * `Last-Event-ID`): `g1.` + the position in base 36. One implementation for the logs service,
 * which issues and reads them, and for the clients that show them (gateway, CLI).
 */

const PREFIX = "g1.";
/** 13 base-36 digits hold every int64 position (36^13 > 2^63), and more: above MAX_POSITION is no cursor. */
const CURSOR_DIGITS = /^[0-9a-z]{1,13}$/;
/** The largest position a cursor names: PostgreSQL's bigint (int64) holds positions. */
const MAX_POSITION = 2n ** 63n - 1n;

/**
 * The cursor of a position. A position given as a number must be a whole number below 2^53 (what
 * answers carry; exact in base 36). Throws a RangeError for a negative or fractional one.
 */
export function logCursor(position: number | bigint): string {
  if (typeof position === "number" ? !Number.isSafeInteger(position) || position < 0 : position < 0n) throw new RangeError(`a log position is a whole number ≥ 0, not ${position}`);
  return PREFIX + position.toString(36);
}

/**
 * The position a cursor names (0 … 2^63−1); undefined when the text is not a log cursor (the empty
 * cursor included, and one naming a position above 2^63−1, which no line can have).
 */
export function logCursorPosition(cursor: string): bigint | undefined {
  if (!cursor.startsWith(PREFIX)) return undefined;
  const digits = cursor.slice(PREFIX.length);
  if (!CURSOR_DIGITS.test(digits)) return undefined;
  let value = 0n;
  for (const ch of digits) value = value * 36n + BigInt(parseInt(ch, 36));
  return value <= MAX_POSITION ? value : undefined;
}
