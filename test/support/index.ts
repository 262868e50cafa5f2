/** The shared test harness: single-node clusters for e2e tests and benchmarks, the real CLI, process probes. */
export { startHarnessCluster } from "./cluster-harness.ts";
export type { HarnessCluster } from "./cluster-harness.ts";
export { runGantry } from "./cli-runner.ts";
export type { CliResult } from "./cli-runner.ts";
export { pidsOfTask, eventually } from "./processes.ts";
