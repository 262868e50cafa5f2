/** The longest line shipped whole; a longer one is cut into pieces of this many bytes. */
export const MAX_LINE_BYTES = 16 * 1024;

/** Lines cut from a buffer of task output, and how many bytes of it they used. */
export interface SplitLines {
  lines: string[];
  /** Bytes of the buffer the lines cover (a trailing partial line is left for the next read). */
  consumed: number;
}

/**
 * Cuts complete lines (`\n`-terminated; a `\r` before it is dropped) out of `buf`. A trailing
 * partial line is left unconsumed, unless `final` (the task ended: nothing more will come) or it
 * already exceeds MAX_LINE_BYTES. Lines are decoded as UTF-8 (invalid bytes become U+FFFD).
 */
export function splitLines(buf: Uint8Array, final: boolean): SplitLines {
  const lines: string[] = [];
  const decoder = new TextDecoder();
  // Plain ASCII (most output) is cut from one decoded string; anything else line by line.
  if (isAscii(buf)) return splitAscii(buf, final);
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0 || nl - start > MAX_LINE_BYTES) {
      const rest = buf.length - start;
      if (rest > MAX_LINE_BYTES) {
        lines.push(decoder.decode(buf.subarray(start, start + MAX_LINE_BYTES)));
        start += MAX_LINE_BYTES;
        continue;
      }
      if (final && rest > 0) {
        lines.push(decoder.decode(buf.subarray(start)));
        start = buf.length;
      }
      return { lines, consumed: start };
    }
    const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
    lines.push(decoder.decode(buf.subarray(start, end)));
    start = nl + 1;
  }
}

/** The container of a pod task (`<instanceId>.<container>`); "" for an app's task. */
export function containerOfTask(taskId: string, instanceId: string): string {
  return instanceId !== "" && taskId.startsWith(`${instanceId}.`) ? taskId.slice(instanceId.length + 1) : "";
}

function isAscii(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 127) return false;
  return true;
}

/** splitLines for ASCII: byte offsets and string offsets are the same, so one decode serves every line. */
function splitAscii(buf: Uint8Array, final: boolean): SplitLines {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1");
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0 || nl - start > MAX_LINE_BYTES) {
      const rest = text.length - start;
      if (rest > MAX_LINE_BYTES) {
        lines.push(text.slice(start, start + MAX_LINE_BYTES));
        start += MAX_LINE_BYTES;
        continue;
      }
      if (final && rest > 0) {
        lines.push(text.slice(start));
        start = text.length;
      }
      return { lines, consumed: start };
    }
    lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
    start = nl + 1;
  }
}
