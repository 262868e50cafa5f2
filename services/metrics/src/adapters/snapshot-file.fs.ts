import { open, readFile, rename, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { decodeSnapshot, encodeSnapshot } from "../domain/snapshot-codec.ts";
import type { SeriesStore } from "../domain/series-store.ts";

/** The snapshot's file name in the data dir. */
export const SNAPSHOT_FILE = "series.snapshot";

/**
 * Writes the store's blocks and the stream sequence they hold to `<dataDir>/series.snapshot`
 * durably: a temporary file, fsync, rename over the previous one, fsync of the directory. A crash
 * at any point leaves the previous snapshot or the new one, never a torn file.
 */
export async function writeSnapshot(dataDir: string, store: SeriesStore, lastSeq: number): Promise<number> {
  await mkdir(dataDir, { recursive: true });
  const tmp = join(dataDir, `${SNAPSHOT_FILE}.tmp`);
  const file = await open(tmp, "w");
  let bytes = 0;
  try {
    for (const part of encodeSnapshot(store, lastSeq)) {
      await file.write(part);
      bytes += part.length;
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dataDir, SNAPSHOT_FILE));
  const dir = await open(dataDir, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return bytes;
}

/**
 * Loads `<dataDir>/series.snapshot` into an empty store; returns the stream sequence it holds, 0
 * when there is none. A leftover temporary file (a crash mid-write) is removed. Throws an Error
 * naming the file for one that is corrupt (an operator decides: move it away to start empty).
 */
export async function readSnapshot(dataDir: string, store: SeriesStore): Promise<number> {
  await rm(join(dataDir, `${SNAPSHOT_FILE}.tmp`), { force: true });
  let data: Buffer;
  try {
    data = await readFile(join(dataDir, SNAPSHOT_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  try {
    return decodeSnapshot(data, store).lastSeq;
  } catch (err) {
    throw new Error(`${join(dataDir, SNAPSHOT_FILE)}: ${(err as Error).message}`, { cause: err });
  }
}
