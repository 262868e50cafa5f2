import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { GantryError } from "@gantry/platform/errors";
import { formatSchedulerEpoch, parseSchedulerEpoch, type EpochState } from "../domain/index.ts";

/** Name of the file, in the agent's work directory, holding the highest scheduler epoch seen. */
export const SCHEDULER_EPOCH_FILE = "scheduler-epoch";

/** The log and highest scheduler epoch seen, kept on disk so a restarted agent still refuses a deposed leader. */
export interface SchedulerEpochFile {
  readonly path: string;
  /** The stored log and epoch; nothing seen when there is no file. Throws FailedPrecondition when the file holds anything else. */
  load(): EpochState;
  /** Atomically replaces what is stored (temp file, fsync, rename); creates the work directory. Throws on I/O errors. */
  save(state: EpochState): void;
}

/** `<workDir>/scheduler-epoch` on the local file system. */
export function fsSchedulerEpochFile(workDir: string): SchedulerEpochFile {
  const path = join(workDir, SCHEDULER_EPOCH_FILE);
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return { logId: "", epoch: 0n };
        throw err;
      }
      const state = parseSchedulerEpoch(text);
      // Written only by rename, so a bad file was edited by hand or damaged: guessing 0 would
      // let a deposed leader act again, so the agent stops and says how to recover.
      if (state === undefined) throw new GantryError("FailedPrecondition", `${path} holds ${JSON.stringify(text.slice(0, 40))}, not a scheduler epoch; remove the file to start from epoch 0`);
      return state;
    },
    save(state) {
      mkdirSync(workDir, { recursive: true });
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, "w");
      try {
        writeSync(fd, formatSchedulerEpoch(state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    },
  };
}
