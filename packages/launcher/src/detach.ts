import { mkdir } from "node:fs/promises";
import { GantryError, gatewayFetch } from "@gantry/platform";
import { readClusterFile, type ClusterFile } from "./cluster-file.ts";
import { clusterCa } from "./cluster-tls.ts";
import { dataDirLayout } from "./data-dir.ts";
import { spawnManaged, untilReady } from "./processes/managed-process.ts";
import { runningLauncherPid } from "./processes/pid-file.ts";

/** A `gantry up` to run in the background. */
export interface DetachOptions {
  /** The command line of the same `gantry up`, without `--detach`. */
  command: string[];
  dataDir: string;
  /** The cluster file it writes once it is up (see clusterFilePath). */
  clusterFile: string;
  env: NodeJS.ProcessEnv;
  /** How long the start may take; the first one initialises PostgreSQL (default 180 s). */
  timeoutMs?: number;
}

/**
 * Starts `command` as a detached process (its own session; stdout and stderr appended to
 * `<data-dir>/gantry.log`) and resolves, with its cluster file, once it has written that file
 * and its gateway answers /ping. Fails with FailedPrecondition when the cluster already runs,
 * and with Unavailable, quoting the log's last lines, when the background process dies first
 * or does not come up in time (it is then left to `gantry down`).
 */
export async function startDetached(options: DetachOptions): Promise<ClusterFile & { pid: number }> {
  const layout = dataDirLayout(options.dataDir);
  await mkdir(layout.root, { recursive: true });
  const running = runningLauncherPid(layout.pidFile);
  if (running !== undefined) throw new GantryError("FailedPrecondition", `this cluster already runs (pid ${running}): see \`gantry doctor\`, or stop it with \`gantry down\``);
  const child = spawnManaged("gantry up", options.command, { file: layout.logFile }, { env: options.env, detached: true });
  return untilReady(
    `gantry up in the background (log: ${layout.logFile})`,
    async () => {
      const file = await readClusterFile(options.clusterFile);
      const pid = child.pid;
      if (!file || pid === undefined || file.pid !== pid) return undefined;
      const ping = await gatewayFetch(await clusterCa(file))(new URL("/ping", file.url), { signal: AbortSignal.timeout(2_000) });
      return ping.ok ? { ...file, pid } : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 180_000, watched: [child] },
  );
}
