import { readFile, writeFile } from "node:fs/promises";
import type { ClusterDatabase } from "./cluster-database.ts";

/**
 * Which PostgreSQL and NATS a launched cluster uses (`<data-dir>/infrastructure.json`, mode
 * 0600: the URLs may carry passwords). Written at every start; read by `gantry doctor`, and by
 * `gantry down --purge`, which deletes what the cluster keeps on servers it does not own.
 */
export interface InfrastructureRecord {
  /** `own`: the launcher's PostgreSQL in the data dir (purged with it). */
  database: ClusterDatabase & { own: boolean };
  /** `own`: the launcher's nats-server in the data dir. */
  nats: { url: string; own: boolean };
}

/** Writes the record (owner-only: the URLs may carry passwords). */
export async function writeInfrastructureRecord(file: string, record: InfrastructureRecord): Promise<void> {
  await writeFile(file, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
}

/** The record in `file`; undefined when there is none (the cluster never started there). */
export async function readInfrastructureRecord(file: string): Promise<InfrastructureRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as InfrastructureRecord;
  } catch {
    return undefined;
  }
}
