import cliProgress from "cli-progress";

/** Where a followed deployment stands. */
export interface DeploymentProgress {
  step: number;
  steps: number;
  /** The current step's actions, e.g. `RestartApplication /shop/web`. */
  actions: string;
  /** Instances serving the target configuration, of those wanted. */
  serving: number;
  wanted: number;
}

/** Shows a deployment's progress as it changes; `finish` prints the last line. */
export interface ProgressView {
  update(progress: DeploymentProgress): void;
  finish(line: string): void;
  stop(): void;
}

/** `step 1/2 StartApplication /db: 1/3 serving`: one line of progress. */
export function describeProgress(p: DeploymentProgress): string {
  return `step ${p.step}/${p.steps} ${p.actions || "(starting)"}: ${p.serving}/${p.wanted} serving`;
}

/**
 * On a terminal, a cli-progress bar (serving/wanted) with the step and its actions beside it,
 * redrawn in place; elsewhere (a pipe, a log, a test) one line each time the progress changes.
 */
export function createProgressView(stream: NodeJS.WriteStream): ProgressView {
  if (!stream.isTTY) {
    let last = "";
    return {
      update(p) {
        const line = describeProgress(p);
        if (line !== last) stream.write(`${line}\n`);
        last = line;
      },
      finish: (line) => void stream.write(`${line}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: "{bar} {value}/{total} serving · step {step}/{steps} {actions}", hideCursor: true, clearOnComplete: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = { step: p.step, steps: p.steps, actions: p.actions };
      if (!started) bar.start(Math.max(p.wanted, 1), p.serving, payload);
      else {
        bar.setTotal(Math.max(p.wanted, 1));
        bar.update(p.serving, payload);
      }
      started = true;
    },
    finish(line) {
      if (started) bar.stop();
      started = false;
      stream.write(`${line}\n`);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
