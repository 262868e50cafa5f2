import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { START, type Position } from "@gantry/platform";
import type { registryV1RunSpec } from "@gantry/proto";
import { AgentLedger, isTerminal, type ActiveDeployment, type AgentNode, type BackoffState, type ClassVerdicts, type Instance, type RunSpecDemand, type TaskFailure } from "../domain/index.ts";
import { PlacementExplanations } from "./placement-explanations.ts";
import { RunSpecConstraints } from "./run-spec-constraints.ts";

/** How many ended instances are kept for views (`task list --all`, watchers); the log keeps them all. */
const RECENTLY_ENDED = 1_000;

/** A run spec as the scheduler holds it: the registry's spec (what runs) and its placement demand. */
export interface KnownRunSpec {
  spec: registryV1RunSpec.RunSpec;
  demand: RunSpecDemand;
}

/**
 * The scheduler's in-memory state, a fold of the log: desired run specs (apps and pods, as the
 * scheduler last saw them), agents and their allocation ledgers, LIVE instances (an instance
 * leaves when it ends; the log keeps it), per-run-spec launch backoff, constraint counters and
 * cached per-class verdicts, what is waiting to be placed and why, running deployments, the
 * version of every stream still tracked (the fence of its next append), the furthest agent
 * status report recorded, and the log position folded up to. Indexes keep the hot paths
 * proportional to what they touch: instances by task, by agent and by run spec; the agents that
 * can take instances, as a list to draw candidates from. Instance changes are emitted as
 * "instance" events; run specs that need a reconcile pass are collected in `dirty`.
 */
export class SchedulerState {
  readonly runSpecs = new Map<string, KnownRunSpec>();
  readonly agents = new Map<string, AgentNode>();
  readonly ledgers = new Map<string, AgentLedger>();
  /** Live instances (not ended). */
  readonly instances = new Map<string, Instance>();
  readonly instanceByTask = new Map<string, string>();
  readonly instancesByAgent = new Map<string, Set<string>>();
  readonly instancesByApp = new Map<string, Set<string>>();
  /** The last instances that ended (at least 1,000, at most 2,000), newest last; for views only. */
  readonly recentlyEnded: Instance[] = [];
  readonly backoff = new Map<string, BackoffState>();
  /** Constraint counters per run spec (instances of its current configuration), and per-class verdicts. */
  readonly constraints = new Map<string, RunSpecConstraints>();
  readonly classVerdicts = new Map<string, ClassVerdicts>();
  /** Run specs with instances waiting to be placed, and why. */
  readonly explanations = new PlacementExplanations();
  /** Run specs a reconcile pass must look at. */
  readonly dirty = new Set<string>();
  /**
   * Run specs in a rolling upgrade (instances of another configuration still live), as the last
   * pass found them: an instance of theirs that starts serving makes them due again (it may let
   * an old one go). A new leader finds them again on its first pass (every run spec is due).
   */
  readonly rolling = new Set<string>();
  /**
   * Run specs with instances waiting on an unreachable agent, with a deadline (inactive, then
   * expunged): the periodic pass looks at them again.
   */
  readonly awaitingAgents = new Set<string>();
  /** The deployment (and its trace) that last changed each run spec: the correlation of what the scheduler does for it. */
  readonly appOrigins = new Map<string, { deploymentId: string; traceparent?: string }>();
  /** The last task failure of each app (Marathon's `lastTaskFailure`), forgotten with the app. */
  readonly lastFailures = new Map<string, TaskFailure>();
  /** Deployments planned by the registry and not yet succeeded, failed or cancelled. */
  readonly deployments = new Map<string, ActiveDeployment>();
  /** Last folded version of each stream still tracked (ended instances and deployments are forgotten). */
  readonly streamVersions = new Map<string, number>();
  /** The highest AGENT_STATUS sequence whose report is recorded in the log. */
  lastStatusSequence = 0n;
  /** The commit-order position the log has been folded up to. */
  position: Position = START;
  /** Events folded since this process started (snapshots are taken by how much the state moved on). */
  foldedEvents = 0;
  readonly changes = new EventEmitter<{ instance: [Instance] }>();
  #candidates: AgentNode[] | undefined;
  #instancesChanged = 0;
  readonly #versionNonce = randomUUID().slice(0, 8);

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

  /** A run spec's new version: a new configuration starts its constraint counting and class verdicts afresh. */
  putRunSpec(known: KnownRunSpec): void {
    const before = this.runSpecs.get(known.demand.id);
    this.runSpecs.set(known.demand.id, known);
    if (!before || before.demand.configVersion !== known.demand.configVersion || before.spec.placement !== known.spec.placement) {
      const counters = new RunSpecConstraints(known.demand.constraints);
      for (const inst of this.instancesOf(known.demand.id)) {
        const agent = this.agents.get(inst.agentId);
        if (agent && inst.appVersion === known.demand.configVersion) counters.add(inst.instanceId, agent);
      }
      this.constraints.set(known.demand.id, counters);
      this.classVerdicts.set(known.demand.id, new Map());
    }
    this.dirty.add(known.demand.id);
  }

  /** A run spec is gone: its instances are to be killed. */
  deleteRunSpec(id: string): void {
    this.runSpecs.delete(id);
    this.constraints.delete(id);
    this.classVerdicts.delete(id);
    this.backoff.delete(id);
    // The last failures are answered with the live tasks, under their version.
    if (this.lastFailures.delete(id)) this.#instancesChanged++;
    this.explanations.forget(id);
    this.dirty.add(id);
  }

  /** An agent's registration (or re-registration): its ledger follows what it offers now. */
  putAgent(agent: AgentNode): void {
    this.agents.set(agent.agentId, agent);
    const ledger = this.ledgers.get(agent.agentId);
    if (ledger) ledger.update(agent);
    else this.ledgers.set(agent.agentId, new AgentLedger(agent));
    this.agentsChanged();
  }

  /** Agents that can be offered instances changed (one registered, was lost, came back, drained): waiting run specs get another look. */
  agentsChanged(): void {
    this.#candidates = undefined;
    for (const id of this.explanations.waitingIds()) this.dirty.add(id);
  }

  /** Reachable agents, the candidates of placement (draining ones included: they are refused with their reason). */
  candidates(): readonly AgentNode[] {
    this.#candidates ??= [...this.agents.values()].filter((a) => a.active);
    return this.#candidates;
  }

  /** The ledger of an agent (an empty one for an agent known only by name). */
  ledgerOf(agentId: string): AgentLedger {
    let ledger = this.ledgers.get(agentId);
    if (!ledger) this.ledgers.set(agentId, (ledger = new AgentLedger({ agentId, total: { cpus: 0, mem: 0, disk: 0, gpus: 0 }, totalByRole: new Map(), portRanges: [], gpus: [] })));
    return ledger;
  }

  /**
   * Adds or replaces an instance, keeping the indexes, the agent's ledger and the run spec's
   * constraint counters; an ended one leaves the live state, frees what it held, and makes its
   * run spec (and every waiting one: there is room now) due for a reconcile pass.
   */
  putInstance(inst: Instance): void {
    this.#instancesChanged++;
    const before = this.instances.get(inst.instanceId);
    if (before && !isTerminal(inst.state) && samePlacement(before, inst)) {
      // A new state of the same placement (most of the log: status reports): the indexes, the
      // ledger and the counters already hold it; its task ids never change.
      this.instances.set(inst.instanceId, inst);
      this.changes.emit("instance", inst);
      return;
    }
    if (before) this.#unindex(before);
    if (isTerminal(inst.state)) {
      for (const t of inst.tasks) this.instanceByTask.delete(t.taskId);
      this.forget(`instance-${inst.instanceId}`);
      this.ledgers.get(inst.agentId)?.release(inst.instanceId);
      this.constraints.get(inst.appId)?.remove(inst.instanceId);
      this.recentlyEnded.push(inst);
      // Trimmed in chunks, so a fold that ends many instances does not shift the list every time.
      if (this.recentlyEnded.length > 2 * RECENTLY_ENDED) this.recentlyEnded.splice(0, this.recentlyEnded.length - RECENTLY_ENDED);
      this.dirty.add(inst.appId);
      for (const id of this.explanations.waitingIds()) this.dirty.add(id);
    } else {
      this.instances.set(inst.instanceId, inst);
      for (const t of inst.tasks) this.instanceByTask.set(t.taskId, inst.instanceId);
      indexUnder(this.instancesByAgent, inst.agentId, inst.instanceId);
      indexUnder(this.instancesByApp, inst.appId, inst.instanceId);
      this.ledgerOf(inst.agentId).hold(inst.instanceId, inst.allocation);
      const agent = this.agents.get(inst.agentId);
      const known = this.runSpecs.get(inst.appId);
      if (agent && known && known.demand.configVersion === inst.appVersion) this.constraints.get(inst.appId)?.add(inst.instanceId, agent);
    }
    this.changes.emit("instance", inst);
  }

  /**
   * A version of the live instances, unique to this process (a nonce and a count of changes):
   * equal versions mean no instance changed in between (`ListTasks` answers "unchanged").
   */
  get instancesVersion(): string {
    return `${this.#versionNonce}:${this.#instancesChanged}`;
  }

  /** The live instance running `taskId` (any task of a pod instance). */
  instanceOfTask(taskId: string): Instance | undefined {
    const id = this.instanceByTask.get(taskId);
    return id === undefined ? undefined : this.instances.get(id);
  }

  /** Live instances on one agent (O(that agent's instances)). */
  instancesOn(agentId: string): Iterable<Instance> {
    return this.#resolve(this.instancesByAgent.get(agentId));
  }

  /** Live instances of one app or pod (O(its instances)). */
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
  }
}

/** Whether two versions of an instance hold the same things in the same place (agent, run spec version, allocation). */
function samePlacement(a: Instance, b: Instance): boolean {
  return a.agentId === b.agentId && a.appId === b.appId && a.appVersion === b.appVersion && a.allocation === b.allocation;
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
