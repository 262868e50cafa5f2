import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { gatewayFetch } from "@gantry/platform";
import { gantryHome, listLocalClusters, type LocalCluster } from "../client-config.ts";
import { printView, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withJson } from "./command-kit.ts";

/** How long `cluster list` waits for a gateway's /ping. */
const PING_TIMEOUT_MS = 2_000;

/** A local cluster as `gantry cluster list` shows it (never its token). */
export interface LocalClusterStatus {
  name: string;
  url: string;
  /** Whether its gateway answered GET /ping within PING_TIMEOUT_MS. */
  answers: boolean;
}

/** Whether the gateway at `url` answers GET /ping with 2xx in time (HTTPS checked against the cluster CA file `caFile`, when given). */
async function pings(url: string, caFile: string | undefined): Promise<boolean> {
  if (!URL.canParse(url)) return false;
  try {
    const ca = caFile ? await readFile(caFile, "utf8") : undefined;
    const response = await gatewayFetch(ca)(new URL("/ping", url), { signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Every local cluster with whether its gateway answers, looked at in parallel. */
async function localClusterStatuses(clusters: readonly LocalCluster[]): Promise<LocalClusterStatus[]> {
  return Promise.all(clusters.map(async (c) => ({ name: c.name, url: c.url, answers: await pings(c.url, c.ca) })));
}

/**
 * `gantry cluster list`'s table: name, gateway address and whether it answers. Pure. (`gantry up`
 * removes its file when it stops; one that does not answer was killed, or is still starting.)
 */
export function renderLocalClusters(clusters: readonly LocalClusterStatus[], home: string): string {
  const rows = clusters.map((c) => [c.name, c.url, c.answers ? "answers" : "no answer"]);
  return renderTable(["name", "url", "gateway"], rows, `no local clusters in ${home} (start one with \`gantry up\`)`);
}

/** `gantry cluster …`: the clusters `gantry up` runs on this machine. */
export function clusterCommand(): Command {
  const cluster = commandGroup("cluster", "the clusters `gantry up` runs on this machine (pick one with gantry --cluster NAME)");
  withJson(cluster.command("list").alias("ls").description("list local clusters: name, gateway address, and whether the gateway answers /ping")).action(
    async (opts: OutputOptions) => {
      const clusters = await localClusterStatuses(listLocalClusters());
      printView(opts, () => ({ clusters }), () => renderLocalClusters(clusters, gantryHome()));
    },
  );
  return cluster;
}
