import { GantryError } from "../errors/index.ts";

// Stream and event types become NATS subject tokens (`<cluster>.events.<streamType>.<eventType>`),
// so they must not contain `.`, `*`, `>` or whitespace.
const STREAM_TYPE = /^[a-z][a-z0-9_]*$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The type of a stream: the part of its id before the first `-` (`app-/shop/web` → `app`).
 * Throws InvalidArgument when the id has no type, no id part, or a type NATS cannot carry.
 */
export function streamTypeOf(streamId: string): string {
  const dash = streamId.indexOf("-");
  const type = dash > 0 ? streamId.slice(0, dash) : "";
  if (!STREAM_TYPE.test(type) || dash === streamId.length - 1) {
    throw new GantryError("InvalidArgument", `stream id "${streamId}" is invalid: expected "<type>-<id>" with a lower-case type`, {
      violations: [{ path: "/streamId", errors: ["expected <type>-<id>, type matching [a-z][a-z0-9_]*"] }],
    });
  }
  return type;
}

/** Throws InvalidArgument unless `type` is a plain identifier usable as a NATS subject token. */
export function assertEventType(type: string): void {
  if (!EVENT_TYPE.test(type)) {
    throw new GantryError("InvalidArgument", `event type "${type}" is invalid: expected an identifier like AppCreated`, {
      violations: [{ path: "/type", errors: ["expected [A-Za-z][A-Za-z0-9_]*"] }],
    });
  }
}
