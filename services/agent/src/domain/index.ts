/** The agent's pure core: options, launch rules and LaunchInstance decisions, environment, outcomes, cgroup plans, checkpoints, the scheduler epoch rule. */
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
  parseNvidiaGpuInformation,
  parseAmount,
} from "./option-parsers.ts";
export type { GpuDeviceSpec, PortRangeSpec, Parsed } from "./option-parsers.ts";
export {
  detectCgroupSupport,
  isolationCapabilities,
  taskCgroupDirs,
  agentCgroupDirs,
  agentTaskParentDirs,
  cgroupLimitWrites,
  cpuShares,
  cpuWeight,
  cfsQuotaUs,
  oomKillCount,
  gpuDeviceDenials,
  CFS_PERIOD_US,
  NVIDIA_GPU_MAJOR,
} from "./cgroups.ts";
export type { CgroupSupport, CgroupWrite } from "./cgroups.ts";
export { TASK_ID_PATTERN, DEFAULT_KILL_GRACE_SECONDS, launchProblem, taskArgv, killGraceMs, pickGpus, taskLaunchFromLaunchTask } from "./launch-spec.ts";
export type { LaunchRequest, TaskLaunch, TaskPortAssignment, VolumeMount } from "./launch-spec.ts";
export { decideInstanceLaunch, instanceShapeProblem, BRIDGE_NETWORK, DEFAULT_CONTAINER_NETWORK } from "./instance-launch.ts";
export type { InstanceLaunchDecision, InstanceLaunchContext, InstancePlan, PortMapping } from "./instance-launch.ts";
export { buildTaskEnvironment, marathonPortsEnv, marathonLabelsEnv } from "./task-env.ts";
export type { TaskEnvContext, TaskEnvSpec, TaskPort, TaskResources } from "./task-env.ts";
export { classifyTaskEnd, signalOfStatus, OOM_MESSAGE, GONE_MESSAGE, TaskReason } from "./task-outcome.ts";
export type { TaskEnd, TaskOutcome } from "./task-outcome.ts";
export { planHealthChecks, HealthVerdict, taskHealth } from "./health-checks.ts";
export { planReadinessChecks } from "./readiness-checks.ts";
export type { HealthProbe, ProbeResult, HealthStep } from "./health-checks.ts";
export { parseCheckpoint, parseProcStat } from "./task-checkpoint.ts";
export { parseInstanceRecord } from "./instance-record.ts";
export { planArtifacts, archiveFormat, redactUri, SUPPORTED_ARTIFACT_SOURCES } from "./artifacts.ts";
export type { ArtifactPlan, ArchiveFormat, PlannedArtifacts } from "./artifacts.ts";
export type { InstanceRecord } from "./instance-record.ts";
export type { TaskCheckpoint } from "./task-checkpoint.ts";
export { SchedulerEpoch, formatSchedulerEpoch, parseSchedulerEpoch } from "./scheduler-epoch.ts";
export type { EpochVerdict, EpochState } from "./scheduler-epoch.ts";
