import path from "node:path";
import { readClusterFile } from "./cluster-file.ts";
import { clusterFilePath, defaultDataDir } from "./data-dir.ts";

/** Where a launched cluster's files are, for `gantry down` and `gantry doctor`. */
export interface ClusterLocation {
  cluster: string;
  dataDir: string;
  clusterFile: string;
}

/**
 * Finds cluster `cluster`'s data dir: `dataDir` when given, else the one its cluster file names
 * (a running cluster started with `--data-dir`), else `<gantryHome>/<cluster>`.
 */
export async function locateCluster(options: { gantryHome: string; cluster: string; dataDir?: string }): Promise<ClusterLocation> {
  const clusterFile = clusterFilePath(options.gantryHome, options.cluster);
  const recorded = options.dataDir === undefined ? (await readClusterFile(clusterFile))?.dataDir : undefined;
  const dataDir = path.resolve(options.dataDir ?? recorded ?? defaultDataDir(options.gantryHome, options.cluster));
  return { cluster: options.cluster, dataDir, clusterFile };
}
