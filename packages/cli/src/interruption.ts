/** What an operator is told when Ctrl-C stops a long-running command. */
export interface InterruptionMessages {
  /** Printed on stdout at the first SIGINT/SIGTERM; nothing when absent (output that must stay JSON). */
  stopping?: string;
  /** Printed on stderr at the second, just before the process exits with 130. */
  forced: string;
}

/** Ctrl-C as a long-running command (`gantry up`, `gantry sim agents`) sees it. */
export interface Interruption {
  /** Resolves at the first SIGINT or SIGTERM. */
  readonly requested: Promise<void>;
  /** True once a signal came (so start-up can skip what only a running command prints). */
  readonly interrupted: boolean;
  /** Stops listening for the signals. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM from now on, so that Ctrl-C during start-up stops what started
 * as soon as it has. The first signal prints `stopping` and resolves `requested`; a second one
 * prints `forced` and exits the process at once with 130, for when stopping hangs.
 */
export function listenForInterruption(messages: InterruptionMessages): Interruption {
  let signalled!: () => void;
  const requested = new Promise<void>((resolve) => (signalled = resolve));
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) {
      process.stderr.write(`${messages.forced}\n`);
      process.exit(130);
    }
    if (messages.stopping !== undefined) process.stdout.write(`${messages.stopping}\n`);
    signalled();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    requested,
    get interrupted() {
      return signals > 0;
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
