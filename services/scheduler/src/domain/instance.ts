import type { ResourceAmount } from "./resources.ts";
import type { TaskStateName } from "./task-state.ts";

/**
 * One instance of an app and its (current) task. An instance is placed once; its task's
 * state follows the agent's reports. `killRequested` marks instances the scheduler is stopping.
 */
export interface Instance {
  instanceId: string;
  taskId: string;
  appId: string;
  appVersion: string;
  agentId: string;
  host: string;
  resources: ResourceAmount;
  state: TaskStateName;
  message: string;
  exitCode: number;
  /** Milliseconds since the epoch of the last state change. */
  updatedAt: number;
  killRequested: boolean;
}
