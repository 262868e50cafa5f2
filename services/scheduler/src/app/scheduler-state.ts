import { EventEmitter } from "node:events";
import { START, type Position } from "@gantry/platform";
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

/** How many ended instances are kept for views (`task list --all`, watchers); the log keeps them all. */
const RECENTLY_ENDED = 1_000;

/**
 * The scheduler's in-memory state, a fold of the log: desired apps (as the scheduler last saw
 * them), agents, LIVE instances (an instance leaves when its task ends; the log keeps it), per-app
 * launch backoff, running deployments, the version of every stream it still tracks (the fence
 * of its next append to it), the furthest agent status report recorded (where a new leader
 * resumes reading reports) and the log position folded up to. Indexes keep the hot paths
 * proportional to what they touch: instances by task and by agent, and a per-agent ledger of
 * the resources live instances hold. Instance changes are emitted as "instance" events.
 */
export class SchedulerState {
  readonly apps = new Map<string, AppSpec>();
  readonly agents = new Map<string, AgentNode>();
  /** Live instances (task not terminal). */
  readonly instances = new Map<string, Instance>();
  readonly instanceByTask = new Map<string, string>();
  readonly instancesByAgent = new Map<string, Set<string>>();
  readonly instancesByApp = new Map<string, Set<string>>();
  /** Resources held on each agent by its live instances. */
  readonly usedByAgent = new Map<string, ResourceAmount>();
  /** The last instances that ended (at least 1,000 of them, at most 2,000), newest last; for views only. */
  readonly recentlyEnded: Instance[] = [];
  readonly backoff = new Map<string, BackoffState>();
  /** The deployment (and its trace) that last changed each app: the correlation of what the scheduler does for it. */
  readonly appOrigins = new Map<string, { deploymentId: string; traceparent?: string }>();
  /** Deployments planned by the registry and not yet succeeded, failed or cancelled. */
  readonly deployments = new Map<string, ActiveDeployment>();
  /** Last folded version of each stream still tracked (ended instances and deployments are forgotten). */
  readonly streamVersions = new Map<string, number>();
  /** The highest AGENT_STATUS sequence whose report is recorded in the log. */
  lastStatusSequence = 0n;
  /** The commit-order position the log has been folded up to. */
  position: Position = START;
  readonly changes = new EventEmitter<{ instance: [Instance] }>();

  /** Free resources of an agent: its total minus what its live instances hold (O(1)). */
  free(agentId: string): ResourceAmount {
    const agent = this.agents.get(agentId);
    if (!agent) return ZERO;
    return subtractResources(agent.total, this.usedByAgent.get(agentId) ?? ZERO);
  }

  /** The last folded version of a stream (0 = unknown or forgotten). */
  versionOf(streamId: string): number {
    return this.streamVersions.get(streamId) ?? 0;
  }

  /** Records that `streamId` is at `version`. */
  setVersion(streamId: string, version: number): void {
    this.streamVersions.set(streamId, version);
  }

  /** Stops tracking a stream whose entity ended. */
  forget(streamId: string): void {
    this.streamVersions.delete(streamId);
  }

  /** Adds or replaces an instance, keeping the indexes and the ledger; an ended one leaves the live state. */
  putInstance(inst: Instance): void {
    const before = this.instances.get(inst.instanceId);
    if (before) this.#unindex(before);
    if (isTerminal(inst.state)) {
      this.instanceByTask.delete(inst.taskId);
      this.forget(`instance-${inst.instanceId}`);
      this.recentlyEnded.push(inst);
      // Trimmed in chunks, so a fold that ends many instances does not shift the list every time.
      if (this.recentlyEnded.length > 2 * RECENTLY_ENDED) this.recentlyEnded.splice(0, this.recentlyEnded.length - RECENTLY_ENDED);
    } else {
      this.instances.set(inst.instanceId, inst);
      this.instanceByTask.set(inst.taskId, inst.instanceId);
      indexUnder(this.instancesByAgent, inst.agentId, inst.instanceId);
      indexUnder(this.instancesByApp, inst.appId, inst.instanceId);
      this.usedByAgent.set(inst.agentId, addResources(this.usedByAgent.get(inst.agentId) ?? ZERO, inst.resources));
    }
    this.changes.emit("instance", inst);
  }

  /** The live instance running `taskId`. */
  instanceOfTask(taskId: string): Instance | undefined {
    const id = this.instanceByTask.get(taskId);
    return id === undefined ? undefined : this.instances.get(id);
  }

  /** Live instances on one agent (O(that agent's instances)). */
  instancesOn(agentId: string): Iterable<Instance> {
    return this.#resolve(this.instancesByAgent.get(agentId));
  }

  /** Live instances of one app (O(that app's instances)). */
  instancesOf(appId: string): Iterable<Instance> {
    return this.#resolve(this.instancesByApp.get(appId));
  }

  *#resolve(ids: Set<string> | undefined): Iterable<Instance> {
    for (const id of ids ?? []) {
      const inst = this.instances.get(id);
      if (inst) yield inst;
    }
  }

  #unindex(inst: Instance): void {
    this.instances.delete(inst.instanceId);
    unindexUnder(this.instancesByAgent, inst.agentId, inst.instanceId);
    unindexUnder(this.instancesByApp, inst.appId, inst.instanceId);
    const used = this.usedByAgent.get(inst.agentId);
    if (used) this.usedByAgent.set(inst.agentId, subtractResources(used, inst.resources));
  }
}

function indexUnder(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) index.set(key, (ids = new Set()));
  ids.add(id);
}

function unindexUnder(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}
