import { constants } from "node:os";

const NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** The name of signal number `n` (`SIGKILL`), or `SIG<n>` for a number this platform does not name. */
export function signalName(n: number): string {
  return NAMES.get(n) ?? `SIG${n}`;
}
