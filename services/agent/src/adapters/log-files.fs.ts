import { closeSync, openSync, readSync, statSync, watch } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseCheckpoint } from "../domain/index.ts";
import { idDirectories, readParsed, writeJsonAtomically } from "./json-files.ts";
import type { LogOffsets, LogShipperPorts, OutputStream } from "../app/log-shipper.ts";

/** How much shipped output a sandbox file keeps on disk before older bytes are freed (default 10 MiB). */
export const DEFAULT_KEEP_BYTES = 10 * 1024 * 1024;

/**
 * The shipper's view of this node's sandboxes (`<workDir>/sandboxes/<taskId>/`): tasks from their
 * checkpoints (only this agent's), their `stdout`/`stderr` read by offset, inotify watches on the
 * sandbox directory, and the shipping checkpoint `.gantry/log-offsets.json` (written atomically,
 * beside the task's checkpoint, by the shipper alone: the supervisor rewrites `checkpoint.json`
 * whole and must not race it).
 *
 * Size rotation without losing a byte: the task holds its output file open in append mode, so
 * renaming or truncating it (logrotate's copytruncate) races with its writes. Instead, once more
 * than `keepBytes` beyond the last freed point was shipped, the shipped prefix up to the newest
 * `keepBytes` is punched out (`fallocate --punch-hole`): its disk blocks are freed, the file keeps
 * its size and offsets (reads there return zeros), the task's writes are untouched.
 */
export function fsLogFiles(workDir: string, agentId: string, keepBytes = DEFAULT_KEEP_BYTES): Omit<LogShipperPorts, "publish" | "logger" | "now"> {
  const root = join(workDir, "sandboxes");
  const file = (taskId: string, stream: OutputStream) => join(root, taskId, stream);
  const offsetsFile = (taskId: string) => join(root, taskId, ".gantry", "log-offsets.json");
  const freedUpTo = new Map<string, number>();
  return {
    taskIds() {
      return idDirectories(root);
    },
    taskOf(taskId) {
      const cp = readParsed(join(root, taskId, ".gantry", "checkpoint.json"), parseCheckpoint);
      if (!cp || cp.agentId !== agentId) return undefined;
      return { taskId, instanceId: cp.instanceId, appId: cp.appId, ended: cp.final !== undefined };
    },
    size(taskId, stream) {
      try {
        return statSync(file(taskId, stream)).size;
      } catch {
        return 0;
      }
    },
    read(taskId, stream, start, length) {
      const fd = openSync(file(taskId, stream), "r");
      try {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const n = readSync(fd, buf, got, length - got, start + got);
          if (n === 0) break;
          got += n;
        }
        return buf.subarray(0, got);
      } finally {
        closeSync(fd);
      }
    },
    loadOffsets(taskId) {
      return readParsed(offsetsFile(taskId), parseOffsets);
    },
    saveOffsets(taskId, offsets) {
      writeJsonAtomically(offsetsFile(taskId), offsets);
    },
    watch(taskId, onChange) {
      try {
        const w = watch(join(root, taskId), { persistent: false }, (_event, name) => {
          if (name === "stdout" || name === "stderr") onChange();
        });
        w.on("error", () => undefined);
        return () => w.close();
      } catch {
        return () => undefined; // the sandbox went away: the rescan finds nothing more
      }
    },
    rotate(taskId, stream, shippedOffset) {
      const key = `${taskId}/${stream}`;
      const freed = freedUpTo.get(key) ?? 0;
      const upTo = shippedOffset - keepBytes;
      if (upTo - freed < keepBytes) return;
      const path = file(taskId, stream);
      const blockAligned = Math.floor(upTo / 4096) * 4096;
      const r = spawnSync("fallocate", ["--punch-hole", "--offset", "0", "--length", String(blockAligned), path], { stdio: "ignore" });
      // Without fallocate (or on a file system without holes) the file keeps growing: output is still shipped.
      if (r.status === 0) freedUpTo.set(key, blockAligned);
      else freedUpTo.set(key, upTo);
    },
  };
}

function parseOffsets(text: string): LogOffsets | undefined {
  const v = JSON.parse(text) as Partial<LogOffsets>;
  const ok = (s: unknown) => typeof s === "object" && s !== null && Number.isInteger((s as { offset?: unknown }).offset);
  if (!ok(v.stdout) || !ok(v.stderr)) return undefined;
  return v as LogOffsets;
}
