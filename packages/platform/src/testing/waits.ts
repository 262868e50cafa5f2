/**
 * Waits with deadlines for tests: a wait that cannot end must fail, naming what it waited for,
 * instead of hanging the run. Cheap to import (node built-ins only), so unit and integration
 * tests of every package can use it, not only whole-cluster tests.
 */
import { readFileSync } from "node:fs";

/** What a wait is for: text, or a function rendering it at the deadline (so it can show the latest state). */
export type WaitSubject = string | (() => string);

const render = (what: WaitSubject): string => (typeof what === "function" ? what() : what);

/**
 * Polls `probe` every `intervalMs` (default 100) until it returns something other than
 * `undefined` or `false`, and returns that. A probe that throws counts as "not yet" (so
 * assertions can be used as probes). After `timeoutMs` (default 20 s) it throws
 * `timed out after N ms waiting for <what>`, with the probe's last error appended.
 */
export async function eventually<T>(
  what: WaitSubject,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${render(what)}${last ? `: ${(last as Error).message}` : ""}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Settles as `promise` does, or rejects after `timeoutMs` with `timed out after N ms waiting for
 * <what>` (the promise itself keeps running: callers stop what it waits on in their cleanup).
 */
export async function within<T>(what: WaitSubject, promise: Promise<T>, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${render(what)}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A probe for `eventually`: the text of a file a task writes in one write, once it holds some;
 * undefined while it is missing or still empty (a shell's `> file` creates it before the command
 * writes: an empty file is "not yet", never the answer).
 */
export function writtenText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8") || undefined;
  } catch {
    return undefined;
  }
}
