/**
 * The launcher: runs a whole Gantry cluster on one machine (what `gantry up` does): its own
 * PostgreSQL and NATS in a data dir unless DATABASE_URL / NATS_URL name running ones, the control
 * plane in-process, local agent processes; stops it (`gantry down`) and checks it (`gantry doctor`).
 * See README.md beside this folder.
 */
export { launchCluster } from "./launch.ts";
export type { LaunchOptions, LaunchedCluster } from "./launch.ts";
export { compileLaunchOptions, MAX_LOCAL_AGENTS } from "./launch-options.ts";
export type { RawLaunchOptions } from "./launch-options.ts";
export { startDetached } from "./detach.ts";
export type { DetachOptions } from "./detach.ts";
export { stopCluster } from "./stop-cluster.ts";
export type { StopOptions } from "./stop-cluster.ts";
export { runDoctor, formatDoctorCheck } from "./doctor.ts";
export type { DoctorCheck, DoctorOptions } from "./doctor.ts";
export { locateCluster } from "./locate-cluster.ts";
export type { ClusterLocation } from "./locate-cluster.ts";
export { formatUpSummary } from "./up-summary.ts";
export type { UpSummary } from "./up-summary.ts";
export { LOG_FORMATS } from "./log-sink.ts";
export type { LogFormat } from "./log-sink.ts";
export { dataDirLayout, defaultDataDir, clusterFilePath } from "./data-dir.ts";
export type { DataDirLayout } from "./data-dir.ts";
export { startSingleNodeCluster } from "./single-node-cluster.ts";
export type { SingleNodeCluster, SingleNodeClusterOptions } from "./single-node-cluster.ts";
