import { EventEmitter } from "node:events";
import {
  addResources,
  subtractResources,
  ZERO,
  isTerminal,
  type AgentNode,
  type AppSpec,
  type Instance,
  type ResourceAmount,
  type BackoffState,
  type ActiveDeployment,
} from "../domain/index.ts";

/**
 * The scheduler's in-memory runtime state: desired apps (as the scheduler last saw them),
 * agents, instances, per-app launch backoff, and the version of every stream it writes (its
 * optimistic-concurrency fence). Folded from the event log at start and kept current by the
 * scheduler's own appends; changes to instances are emitted as "instance" events for watchers.
 */
export class SchedulerState {
  readonly apps = new Map<string, AppSpec>();
  readonly agents = new Map<string, AgentNode>();
  readonly instances = new Map<string, Instance>();
  readonly instanceByTask = new Map<string, string>();
  readonly backoff = new Map<string, BackoffState>();
  /** The deployment (and its trace) that last changed each app: the correlation of what the scheduler does for it. */
  readonly appOrigins = new Map<string, { deploymentId: string; traceparent?: string }>();
  /** Deployments planned by the registry and not yet succeeded, failed or cancelled. */
  readonly deployments = new Map<string, ActiveDeployment>();
  /** Last applied version of each stream (app streams are read, the others written). */
  readonly streamVersions = new Map<string, number>();
  readonly changes = new EventEmitter<{ instance: [Instance] }>();

  /** Free resources of an agent: its total minus what its non-terminal tasks hold. */
  free(agentId: string): ResourceAmount {
    const agent = this.agents.get(agentId);
    if (!agent) return ZERO;
    let used = ZERO;
    for (const inst of this.instances.values()) {
      if (inst.agentId === agentId && !isTerminal(inst.state)) used = addResources(used, inst.resources);
    }
    return subtractResources(agent.total, used);
  }

  /** Records that `streamId` is at `version`; returns false when that version was already applied (a redelivery). */
  advance(streamId: string, version: number): boolean {
    const known = this.streamVersions.get(streamId) ?? 0;
    if (version <= known) return false;
    this.streamVersions.set(streamId, version);
    return true;
  }

  /** Current version of a stream this scheduler writes (0 = none yet). */
  versionOf(streamId: string): number {
    return this.streamVersions.get(streamId) ?? 0;
  }

  putInstance(inst: Instance): void {
    this.instances.set(inst.instanceId, inst);
    this.instanceByTask.set(inst.taskId, inst.instanceId);
    this.changes.emit("instance", inst);
  }

  instanceOfTask(taskId: string): Instance | undefined {
    const id = this.instanceByTask.get(taskId);
    return id === undefined ? undefined : this.instances.get(id);
  }
}
