import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseInstanceRecord, type InstanceRecord } from "../domain/index.ts";
import { idDirectories, readParsed, writeJsonAtomically } from "./json-files.ts";
import type { InstanceStore } from "../app/ports.ts";

/**
 * Instance directories on the local file system: `<workDir>/instances/<instanceId>/` holds
 * `instance.json` (the record, written atomically: temp file + rename) and `volumes/<name>/`,
 * the instance's ephemeral volumes, shared by its containers' sandboxes through links. Kept
 * after the instance ends, like sandboxes.
 */
export function fsInstanceStore(workDir: string): InstanceStore {
  const root = join(workDir, "instances");
  const dir = (instanceId: string) => join(root, instanceId);
  const recordFile = (instanceId: string) => join(dir(instanceId), "instance.json");
  return {
    write(record: InstanceRecord) {
      mkdirSync(dir(record.instanceId), { recursive: true });
      writeJsonAtomically(recordFile(record.instanceId), record);
    },
    volumeDir(instanceId, volume) {
      const path = join(dir(instanceId), "volumes", volume);
      mkdirSync(path, { recursive: true });
      return path;
    },
    remove(instanceId) {
      rmSync(dir(instanceId), { recursive: true, force: true });
    },
    list() {
      return idDirectories(root).flatMap((id) => readParsed(recordFile(id), parseInstanceRecord) ?? []);
    },
  };
}
