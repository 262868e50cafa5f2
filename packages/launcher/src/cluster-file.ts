import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * What a running cluster tells the CLI on the same machine (`<gantryHome>/<cluster>/cluster.json`,
 * mode 0600): where the gateway is and an admin token (all the CLI reads), and where the
 * cluster's data dir is and which process runs it (what `gantry down` and `gantry doctor` read).
 */
export interface ClusterFile {
  url: string;
  token: string;
  /** Absent when the cluster was started by something other than the launcher (the test harness). */
  dataDir?: string;
  pid?: number;
  /** The cluster CA's certificate (a file), when the gateway serves HTTPS with a certificate of it. */
  ca?: string;
}

/** Writes `file` (creating its folder), readable by its owner only. */
export async function writeClusterFile(file: string, content: ClusterFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(content, null, 2) + "\n", { mode: 0o600 });
}

/** Reads `file`; undefined when there is none (no cluster running) or it is not a cluster file. */
export async function readClusterFile(file: string): Promise<ClusterFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<ClusterFile>;
    return typeof parsed.url === "string" && typeof parsed.token === "string" ? (parsed as ClusterFile) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `file` (nothing when it is gone already). */
export async function removeClusterFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
