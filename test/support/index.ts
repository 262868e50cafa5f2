/**
 * The shared test harness: single-node clusters for e2e tests and benchmarks, the real CLI,
 * process probes, waits with deadlines, the agent's cgroups as root tests expect them (v1 or
 * v2), and the replicated layout's infrastructure (a NATS cluster; a PostgreSQL primary with a
 * streaming replica behind a fail-over address). Importing it is cheap (node built-ins only;
 * the cluster code loads when a cluster is started), so tests of every package may use it.
 */
export { startHarnessCluster } from "./cluster-harness.ts";
export type { HarnessCluster } from "./cluster-harness.ts";
export { runGantry } from "./cli-runner.ts";
export type { CliResult } from "./cli-runner.ts";
export { pidsOfTask } from "./processes.ts";
export { eventually, within, writtenText } from "@gantry/platform/testing";
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
export { startServiceProcess, startProcess, freePort } from "./service-process.ts";
export type { ServiceProcess } from "./service-process.ts";
export { openSse } from "./sse-client.ts";
export type { ServerSentEvent, SseConnection } from "./sse-client.ts";
export { startNatsCluster } from "./nats-cluster.ts";
export type { NatsCluster, NatsNode } from "./nats-cluster.ts";
export { startReplicatedPostgres } from "./replicated-postgres.ts";
export type { ReplicatedPostgres } from "./replicated-postgres.ts";
export type { PostgresServer } from "./postgres-server.ts";
export { withPostgresClient } from "./postgres-client.ts";
