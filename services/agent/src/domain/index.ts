/** The agent's pure core: options, launch rules, environment, outcomes, cgroup plans, checkpoints, the scheduler epoch rule. */
export { buildAgentOptions, defaultMemMb, defaultDiskMb, whyNoCgroups } from "./agent-options.ts";
export type { AgentOptions, RawAgentOptions, MachineFacts, IsolationMode, CompiledOptions } from "./agent-options.ts";
export {
  AGENT_ID_PATTERN,
  defaultAgentId,
  parsePortRanges,
  parseAttributes,
  parseRoles,
  parseGpuList,
  parseNvidiaSmi,
  parseAmount,
} from "./option-parsers.ts";
export type { GpuDeviceSpec, PortRangeSpec, Parsed } from "./option-parsers.ts";
export {
  detectCgroupSupport,
  isolationCapabilities,
  taskCgroupDirs,
  agentCgroupDirs,
  cgroupLimitWrites,
  cpuShares,
  cpuWeight,
  cfsQuotaUs,
  oomKillCount,
  CFS_PERIOD_US,
} from "./cgroups.ts";
export type { CgroupSupport, CgroupWrite } from "./cgroups.ts";
export { TASK_ID_PATTERN, DEFAULT_KILL_GRACE_SECONDS, launchProblem, taskArgv, killGraceMs, pickGpus } from "./launch-spec.ts";
export type { LaunchRequest } from "./launch-spec.ts";
export { buildTaskEnvironment } from "./task-env.ts";
export type { TaskEnvContext } from "./task-env.ts";
export { classifyTaskEnd, signalOfStatus, OOM_MESSAGE, GONE_MESSAGE } from "./task-outcome.ts";
export type { TaskEnd, TaskOutcome } from "./task-outcome.ts";
export { parseCheckpoint, parseProcStat } from "./task-checkpoint.ts";
export type { TaskCheckpoint } from "./task-checkpoint.ts";
export { SchedulerEpoch, formatSchedulerEpoch, parseSchedulerEpoch } from "./scheduler-epoch.ts";
export type { EpochVerdict, EpochState } from "./scheduler-epoch.ts";
