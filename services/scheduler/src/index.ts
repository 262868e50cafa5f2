/** The scheduler service: placement and runtime state (agents, instances, tasks). */
export { startScheduler } from "./start-scheduler.ts";
export type { SchedulerOptions, RunningScheduler } from "./start-scheduler.ts";
export { Scheduler } from "./app/scheduler.ts";
export type { SchedulerSettings } from "./app/scheduler.ts";
