/** The `gantry` CLI, and the single-node cluster `gantry up` runs (also used by the test harness). */
export { runCli, buildProgram } from "./main.ts";
export { startSingleNodeCluster } from "./up/single-node-cluster.ts";
export type { SingleNodeCluster, SingleNodeClusterOptions } from "./up/single-node-cluster.ts";
