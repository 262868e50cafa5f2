/** One line per start-up step, written when the step ends: `starting NATS (…) on 127.0.0.1:4222 … ok 0.3 s`. */
export interface Progress {
  /** Runs `work` and writes its line (`ok` with what `detail` says of the result, or `FAIL`); rethrows its error. */
  step<T>(label: string, work: () => Promise<T>, detail?: (result: T) => string | undefined): Promise<T>;
  /** Writes a line that is no step (what was found, what is used). */
  note(line: string): void;
}

/** The line of a step that ended: `label … ok 1.2 s (detail)` or `label … FAIL 0.4 s`. */
export function formatStepLine(label: string, ok: boolean, elapsedMs: number, detail?: string): string {
  return `${label} … ${ok ? "ok" : "FAIL"} ${(elapsedMs / 1000).toFixed(1)} s${detail ? ` (${detail})` : ""}`;
}

/** Progress written to `out` (the terminal, or the log file of a detached launcher). */
export function createProgress(out: NodeJS.WritableStream, now: () => number = Date.now): Progress {
  return {
    async step(label, work, detail) {
      const started = now();
      try {
        const result = await work();
        out.write(formatStepLine(label, true, now() - started, detail?.(result)) + "\n");
        return result;
      } catch (err) {
        out.write(formatStepLine(label, false, now() - started) + "\n");
        throw err;
      }
    },
    note(line) {
      out.write(line + "\n");
    },
  };
}
