import { MAX_LINES_PER_BATCH } from "@gantry/logs/shipping";

/** The longest line shipped whole; a longer one is cut into pieces of this many bytes. */
export const MAX_LINE_BYTES = 16 * 1024;

/** The most lines in one block (a batch carries one block per task stream): the logs service's limit. */
export const MAX_LINES_PER_BLOCK = MAX_LINES_PER_BATCH;

/** Complete lines cut from a buffer of task output, as a line block, and how many bytes of it they used. */
export interface LineBlockCut {
  /** The lines, each followed by `\n` (the line-block form of `@gantry/logs/shipping`). */
  block: Uint8Array;
  lines: number;
  /** Bytes of the buffer the lines cover (a trailing partial line is left for the next read). */
  consumed: number;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const NEWLINE_BYTES = Uint8Array.of(NEWLINE);

/**
 * Cuts complete lines (`\n`-terminated; a `\r` before it is dropped) out of `buf` into a line
 * block, at most `maxLines`. A trailing partial line is left unconsumed, unless `final` (the task
 * ended: nothing more will come) or it already exceeds MAX_LINE_BYTES (then it is cut into pieces
 * of that size, a line each). Bytes are not decoded: invalid UTF-8 becomes U+FFFD when read. When
 * no line needs changing (the usual case) the block is the buffer's own bytes, not a copy.
 */
export function cutLineBlock(buf: Uint8Array, final: boolean, maxLines = MAX_LINES_PER_BLOCK): LineBlockCut {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  // Set once the block differs from the input: the block is pieces + b[copied, start).
  let pieces: Uint8Array[] | undefined;
  let copied = 0;
  const endLineAt = (end: number, next: number) => {
    pieces ??= [];
    pieces.push(b.subarray(copied, end), NEWLINE_BYTES);
    copied = next;
  };
  let start = 0;
  let lines = 0;
  while (lines < maxLines) {
    const nl = b.indexOf(NEWLINE, start);
    if (nl < 0 || nl - start > MAX_LINE_BYTES) {
      const rest = b.length - start;
      if (rest > MAX_LINE_BYTES) {
        endLineAt(start + MAX_LINE_BYTES, start + MAX_LINE_BYTES);
        start += MAX_LINE_BYTES;
        lines++;
        continue;
      }
      if (final && rest > 0) {
        endLineAt(b.length, b.length);
        start = b.length;
        lines++;
      }
      break;
    }
    if (nl > start && b[nl - 1] === CARRIAGE_RETURN) endLineAt(nl - 1, nl + 1);
    start = nl + 1;
    lines++;
  }
  if (!pieces) return { block: b.subarray(0, start), lines, consumed: start };
  if (copied < start) pieces.push(b.subarray(copied, start));
  return { block: Buffer.concat(pieces), lines, consumed: start };
}

/** The container of a pod task (`<instanceId>.<container>`); "" for an app's task. */
export function containerOfTask(taskId: string, instanceId: string): string {
  return instanceId !== "" && taskId.startsWith(`${instanceId}.`) ? taskId.slice(instanceId.length + 1) : "";
}
