/** The scheduler service: placement and runtime state (agents, instances, tasks). */
export { startScheduler } from "./start-scheduler.ts";
export type { SchedulerOptions, RunningScheduler } from "./start-scheduler.ts";
export { Scheduler } from "./app/scheduler.ts";
export type { SchedulerSettings } from "./app/scheduler.ts";
/** The pure placement core, for benchmarks and tools that want to time or try decisions offline. */
export { AgentLedger, agentClassKey, candidateLimit, createPlacementStack, randomOrder } from "./domain/index.ts";
export type { AgentNode, PlacementContext, RunSpecDemand, ClassVerdicts } from "./domain/index.ts";
export { RunSpecConstraints } from "./app/run-spec-constraints.ts";
