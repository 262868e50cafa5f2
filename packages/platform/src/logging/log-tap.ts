/**
 * A process-wide tap on the JSON lines every `createLogger` logger writes: log shipping attaches
 * one to send the process's own logs to the LOGS stream. A tap is called synchronously on the
 * logging path, so it must only queue (never block, never log through a logger itself).
 */
export type LogTap = (line: string) => void;

const taps = new Set<LogTap>();

/** Calls `tap` with every line logged from now on; returns the detach. */
export function attachLogTap(tap: LogTap): () => void {
  taps.add(tap);
  return () => void taps.delete(tap);
}

/** The stream `createLogger` writes to besides its destination (pino multistream entry). */
export const tapStream = {
  write(line: string): void {
    for (const tap of taps) {
      try {
        tap(line);
      } catch {
        // A tap that fails loses its line, never the service's logging.
      }
    }
  },
};
