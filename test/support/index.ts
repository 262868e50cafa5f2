/**
 * The shared test harness: single-node clusters for e2e tests and benchmarks, the real CLI,
 * process probes, waits with deadlines, and the agent's cgroups as root tests expect them
 * (v1 or v2). Importing it is cheap (node built-ins only; the cluster code loads when a
 * cluster is started), so tests of every package may use it.
 */
export { startHarnessCluster } from "./cluster-harness.ts";
export type { HarnessCluster } from "./cluster-harness.ts";
export { runGantry } from "./cli-runner.ts";
export type { CliResult } from "./cli-runner.ts";
export { pidsOfTask } from "./processes.ts";
export { eventually, within } from "@gantry/platform/testing";
export type { WaitSubject } from "@gantry/platform/testing";
export {
  expectedAgentCgroupDirs,
  expectedCgroupCapabilities,
  expectedLimitFiles,
  expectedTaskCgroupDirs,
  leftoverAgentCgroupDirs,
  taskMemoryProcsFile,
} from "./cgroups.ts";
export { marathonHttp } from "./marathon-http.ts";
export { SEED_POD } from "./seed-pod.ts";
export type { Json, MarathonAnswer, MarathonCallOptions } from "./marathon-http.ts";
export { startServiceProcess, freePort } from "./service-process.ts";
export type { ServiceProcess } from "./service-process.ts";
export { openSse } from "./sse-client.ts";
export type { ServerSentEvent, SseConnection } from "./sse-client.ts";
