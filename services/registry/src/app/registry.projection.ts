import { fromJson, type DescMessage, type JsonObject, type MessageShape } from "@bufbuild/protobuf";
import { eventsV1App, eventsV1Auth, eventsV1Deployment, eventsV1Group, eventsV1Pod, registryV1App, type registryV1RunSpec } from "@gantry/proto";
import { parentOf } from "../domain/index.ts";
import { appRunSpecOf, podRunSpecOf, type GroupRecord, type RegistryState, type RunningDeployment, type StoredDefinition, type StoredRunSpec } from "./registry-state.ts";
import { deriveAfter } from "./state-derivations.ts";
import { VersionHistory } from "./version-history.ts";

/** The part of a recorded event the projection folds. */
export interface ProjectedEvent {
  streamId: string;
  streamVersion: number;
  type: string;
  data: JsonObject;
  /** When the log recorded it (secrets say when they were stored). */
  recordedAt?: Date;
}

interface DeploymentRecord {
  deployment: registryV1App.Deployment;
  cancelled: boolean;
  finished: boolean;
  currentStep: number;
  /** Why the scheduler gave up on it (DeploymentFailed), or why it was cancelled. */
  failure?: string;
  cancelReason?: string;
}

/** How a deployment ended, or that it still runs. */
export type DeploymentOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; reason: string } | { state: "cancelled"; reason: string };

const FOLDED_STREAM_TYPES = new Set(["app", "pod", "group", "deployment", "rollout", "secret"]);

function decode<Desc extends DescMessage>(schema: Desc, data: JsonObject): MessageShape<Desc> {
  return fromJson(schema, data, { ignoreUnknownFields: true });
}

/**
 * A logged version as stored here. Its run spec is the logged one; events written before versions
 * carried run specs get one built from their (normalised) definition, so every answer has one.
 */
function storedOf(v: registryV1App.AppVersion | registryV1App.PodVersion, build: (s: StoredDefinition) => registryV1RunSpec.RunSpec): StoredRunSpec {
  const stored: StoredDefinition = { id: v.id, version: v.version, definition: v.definition ?? {}, lastConfigChangeAt: v.lastConfigChangeAt || v.version, lastScalingAt: v.lastScalingAt || v.version };
  const runSpec = v.runSpec ?? builtOrNone(build, stored);
  return runSpec ? { ...stored, runSpec } : stored;
}

/** A definition that is not a normalised one (a hand-written event) has no run spec rather than breaking the fold. */
function builtOrNone(build: (s: StoredDefinition) => registryV1RunSpec.RunSpec, stored: StoredDefinition): registryV1RunSpec.RunSpec | undefined {
  try {
    return build(stored);
  } catch {
    return undefined;
  }
}

/**
 * The registry's read model, folded from the log: every version of every app, pod and group
 * (so any past version and any past root version can be read back), the root version timeline
 * (`group-/` gets an event on every change), the deployments the registry planned and what the
 * scheduler's `rollout-*` streams say about them. Idempotent per stream version, so the fold at
 * start, the followed tail and the registry's own writes (applied at once) may overlap.
 */
export class RegistryProjection {
  readonly apps = new Map<string, VersionHistory<StoredRunSpec>>();
  readonly pods = new Map<string, VersionHistory<StoredRunSpec>>();
  readonly groups = new Map<string, VersionHistory<GroupRecord>>();
  private readonly deployments = new Map<string, DeploymentRecord>();
  /**
   * The deployments running now (planned with steps, neither cancelled nor finished), oldest
   * first: what `running()` lists on every change, without a pass over every deployment the log
   * ever planned (those stay in `deployments` for `outcome`, and grow with the cluster's age).
   */
  private readonly runningIds = new Set<string>();
  /** Secrets by path (sealed values only). */
  private readonly secrets = new Map<string, { sealed: string; updatedAt: string }>();
  /** Rollout outcomes seen before their plan (different streams carry no mutual order). */
  private readonly finishedEarly = new Map<string, { failure?: string }>();
  private readonly stepsEarly = new Map<string, number>();
  private readonly versions = new Map<string, number>();
  /** Bumped by every applied event: the current state and lists built from it are kept until it moves. */
  private revisionCount = 0;
  /** Bumped only by app, pod and group events: deployments moving on leave the tree's maps as they are. */
  private treeRevisionCount = 0;
  private current: { revision: number; treeRevision: number; state: RegistryState; implicitGroups: ReadonlySet<string> } | undefined;
  /** What changed in the tree since `current` was built (see `state`). */
  private treeChanges = newTreeChanges();
  /** How the states of tree changes were built: from the last one in place, or whole (`stateAt`). */
  readonly builds = { inPlace: 0, whole: 0 };

  /** True for the stream types this projection folds (others are skipped cheaply). */
  static folds(streamType: string): boolean {
    return FOLDED_STREAM_TYPES.has(streamType);
  }

  /** Applies one event; returns false when its stream version was already applied. */
  apply(e: ProjectedEvent): boolean {
    if ((this.versions.get(e.streamId) ?? 0) >= e.streamVersion) return false;
    this.versions.set(e.streamId, e.streamVersion);
    this.revisionCount++;
    if (!e.type.startsWith("Deployment") && !e.type.startsWith("Secret")) this.treeRevisionCount++;
    switch (e.type) {
      case "AppCreated":
      case "AppUpdated": {
        const app = decode(eventsV1App.AppUpdatedSchema, e.data).app;
        if (app) this.record(this.apps, app.id, app.version, storedOf(app, appRunSpecOf));
        break;
      }
      case "AppDeleted": {
        const m = decode(eventsV1App.AppDeletedSchema, e.data);
        this.record(this.apps, m.appId, m.version, undefined);
        break;
      }
      case "PodCreated":
      case "PodUpdated": {
        const pod = decode(eventsV1Pod.PodUpdatedSchema, e.data).pod;
        if (pod) this.record(this.pods, pod.id, pod.version, storedOf(pod, podRunSpecOf));
        break;
      }
      case "PodDeleted": {
        const m = decode(eventsV1Pod.PodDeletedSchema, e.data);
        this.record(this.pods, m.podId, m.version, undefined);
        break;
      }
      case "GroupCreated":
      case "GroupUpdated": {
        const m = decode(eventsV1Group.GroupUpdatedSchema, e.data);
        this.record(this.groups, m.groupId, m.version, { id: m.groupId, version: m.version, dependencies: [...m.dependencies] });
        break;
      }
      case "GroupDeleted": {
        const m = decode(eventsV1Group.GroupDeletedSchema, e.data);
        this.record(this.groups, m.groupId, m.version, undefined);
        break;
      }
      case "DeploymentPlanned": {
        const d = decode(eventsV1Deployment.DeploymentPlannedSchema, e.data).deployment;
        if (d) {
          const early = this.finishedEarly.get(d.id);
          this.finishedEarly.delete(d.id);
          this.deployments.set(d.id, { deployment: d, cancelled: false, finished: early !== undefined, currentStep: this.stepsEarly.get(d.id) ?? 0, ...(early?.failure ? { failure: early.failure } : {}) });
          this.stepsEarly.delete(d.id);
          if (early === undefined && d.steps.length > 0) this.runningIds.add(d.id);
          else this.runningIds.delete(d.id);
        }
        break;
      }
      case "DeploymentCancelled": {
        const record = this.deployments.get(String(e.data.deploymentId ?? ""));
        if (record) {
          record.cancelled = true;
          this.runningIds.delete(record.deployment.id);
          const by = String(e.data.supersededBy ?? "");
          record.cancelReason = `${String(e.data.reason ?? "cancelled")}${by ? ` (by deployment ${by})` : ""}`;
        }
        break;
      }
      case "DeploymentStepStarted": {
        const m = decode(eventsV1Deployment.DeploymentStepStartedSchema, e.data);
        const record = this.deployments.get(m.deploymentId);
        if (record) record.currentStep = Math.max(record.currentStep, m.step);
        else this.stepsEarly.set(m.deploymentId, Math.max(this.stepsEarly.get(m.deploymentId) ?? 0, m.step));
        break;
      }
      case "SecretStored": {
        const m = decode(eventsV1Auth.SecretStoredSchema, e.data);
        this.secrets.set(m.path, { sealed: m.sealed, updatedAt: e.recordedAt?.toISOString() ?? "" });
        break;
      }
      case "SecretDeleted":
        this.secrets.delete(decode(eventsV1Auth.SecretDeletedSchema, e.data).path);
        break;
      case "DeploymentSucceeded":
      case "DeploymentFailed": {
        const id = String(e.data.deploymentId ?? "");
        const record = this.deployments.get(id);
        const failure = e.type === "DeploymentFailed" ? String(e.data.reason ?? "") || "failed" : undefined;
        if (record) {
          record.finished = true;
          this.runningIds.delete(id);
          if (failure) record.failure = failure;
        } else this.finishedEarly.set(id, failure ? { failure } : {});
        break;
      }
      default:
        break;
    }
    return true;
  }

  /** Version of a stream as folded here (0 = never written). */
  streamVersion(streamId: string): number {
    return this.versions.get(streamId) ?? 0;
  }

  /** Deployments planned and neither cancelled nor finished, oldest first. Empty plans finish at once. */
  running(): RunningDeployment[] {
    const out: RunningDeployment[] = [];
    for (const id of this.runningIds) {
      const r = this.deployments.get(id)!;
      out.push({ deployment: r.deployment, currentStep: r.currentStep });
    }
    return out;
  }

  /** A planned deployment, running or not. */
  deployment(id: string): { deployment: registryV1App.Deployment; running: boolean } | undefined {
    const r = this.deployments.get(id);
    return r && { deployment: r.deployment, running: !r.cancelled && !r.finished && r.deployment.steps.length > 0 };
  }

  /** A planned deployment with the step it is on and how it ended (an empty plan succeeds at once). */
  outcome(id: string): { deployment: registryV1App.Deployment; currentStep: number; outcome: DeploymentOutcome } | undefined {
    const r = this.deployments.get(id);
    if (!r) return undefined;
    const outcome: DeploymentOutcome = r.cancelled
      ? { state: "cancelled", reason: r.cancelReason ?? "cancelled" }
      : r.failure
        ? { state: "failed", reason: r.failure }
        : r.finished || r.deployment.steps.length === 0
          ? { state: "succeeded" }
          : { state: "running" };
    return { deployment: r.deployment, currentStep: r.currentStep, outcome };
  }

  /**
   * A number that changes whenever an applied event changes what this projection holds (equal
   * revisions mean equal states); lists answer "unchanged" to a caller holding the current one.
   */
  revision(): number {
    return this.revisionCount;
  }

  /**
   * The current state, for deciders and readers: built once per revision and shared (readers and
   * deciders never modify it; commands edit a copy, see `desiredFrom`), so a change or a list at
   * 1,000 apps does not rebuild every map and implicit group first; its maps of apps, pods and
   * groups stay the same objects while only deployments move.
   */
  state(): RegistryState {
    const held = this.current;
    if (held?.revision === this.revisionCount) return held.state;
    let next: { state: RegistryState; implicitGroups: ReadonlySet<string> };
    // Only deployments moved: the same maps (and what is cached on them) with the running ones now.
    if (held?.treeRevision === this.treeRevisionCount) next = { state: { ...held.state, running: this.running() }, implicitGroups: held.implicitGroups };
    else {
      const inPlace = held && this.stateAfter(held.state, held.implicitGroups);
      if (inPlace) this.builds.inPlace++;
      else this.builds.whole++;
      next = inPlace ?? this.build(undefined);
    }
    this.current = { revision: this.revisionCount, treeRevision: this.treeRevisionCount, ...next };
    this.treeChanges = newTreeChanges();
    return next.state;
  }

  /**
   * The current state from `held` (the last one built) when the tree only changed in place since:
   * apps and pods created or updated (a new one's group already there), groups updated. Copies
   * of held's maps with the changed ids set again, and the implicit groups at the new root
   * version: what `stateAt` builds, entry for entry and in the same order, at the cost of the
   * change rather than of the tree. Undefined when the change is of another kind (something
   * deleted, a group created, an app or pod re-created, a root missing): then `stateAt` builds it.
   */
  private stateAfter(held: RegistryState, implicitGroups: ReadonlySet<string>): { state: RegistryState; implicitGroups: ReadonlySet<string> } | undefined {
    const changes = this.treeChanges;
    const rootVersion = this.groups.get("/")?.latestVersion();
    if (rootVersion === undefined) return undefined;
    const groups = new Map(held.groups);
    for (const id of changes.groups.changed) {
      const group = this.groups.get(id)!.current();
      // A group new to the state, or an implicit one now written, takes another place in stateAt's order.
      if (group === undefined || !held.groups.has(id) || implicitGroups.has(id)) return undefined;
      groups.set(id, group);
    }
    for (const id of implicitGroups) groups.set(id, { id, version: rootVersion, dependencies: [] });
    const apps = this.changedInPlace(held.apps, this.apps, changes.apps, groups);
    const pods = apps && this.changedInPlace(held.pods, this.pods, changes.pods, groups);
    if (apps === undefined || pods === undefined) return undefined;
    const state: RegistryState = { ...held, apps, pods, groups, rootVersion, running: this.running() };
    deriveAfter(held, state, new Set([...changes.apps.changed, ...changes.pods.changed, ...changes.groups.changed]));
    return { state, implicitGroups };
  }

  /** `held` with `changed` ids set to their current versions; undefined when one is gone, re-created, or new in a group not there. */
  private changedInPlace(held: ReadonlyMap<string, StoredRunSpec>, histories: Map<string, VersionHistory<StoredRunSpec>>, changes: KindChanges, groups: ReadonlyMap<string, GroupRecord>): Map<string, StoredRunSpec> | undefined {
    const out = new Map(held);
    for (const id of changes.changed) {
      const current = histories.get(id)!.current();
      // A new one goes last, as in stateAt (its history is the newest); a re-created one does not.
      if (current === undefined || (!held.has(id) && (!changes.created.has(id) || !groups.has(parentOf(id))))) return undefined;
      out.set(id, current);
    }
    return out;
  }

  /** Records a version (or a deletion: undefined) in the history of `id` in `map`, noting the change for `stateAfter`. */
  private record<T>(map: Map<string, VersionHistory<T>>, id: string, version: string, value: T | undefined): void {
    const h = map.get(id);
    // Nothing to carry a change over to before the first state is built (the fold at start).
    if (this.current !== undefined) {
      const changes = this.treeChanges;
      const kind = map === this.groups ? changes.groups : map === this.pods ? changes.pods : changes.apps;
      kind.changed.add(id);
      if (h === undefined) kind.created.add(id);
    }
    history(map, id).record(version, value);
  }

  /**
   * The state as it was at root version `version` (undefined = now). Groups that only exist
   * implicitly (ancestors of apps written before groups had streams) are added.
   */
  stateAt(version: string | undefined): RegistryState {
    return this.build(version).state;
  }

  private build(version: string | undefined): { state: RegistryState; implicitGroups: ReadonlySet<string> } {
    const pick = <T>(h: VersionHistory<T>): T | undefined => (version === undefined ? h.current() : h.at(version));
    const apps = new Map<string, StoredRunSpec>();
    const pods = new Map<string, StoredRunSpec>();
    const groups = new Map<string, GroupRecord>();
    for (const [id, h] of this.apps) {
      const v = pick(h);
      if (v) apps.set(id, v);
    }
    for (const [id, h] of this.pods) {
      const v = pick(h);
      if (v) pods.set(id, v);
    }
    for (const [id, h] of this.groups) {
      const v = pick(h);
      if (v) groups.set(id, v);
    }
    const root = this.groups.get("/");
    const rootVersion = version ?? root?.latestVersion() ?? latest([...apps.values(), ...pods.values()]);
    const implicitGroups = new Set<string>();
    for (const id of [...apps.keys(), ...pods.keys(), ...groups.keys()]) {
      for (let g = parentOf(id); !groups.has(g); g = parentOf(g)) {
        groups.set(g, { id: g, version: rootVersion ?? "", dependencies: [] });
        implicitGroups.add(g);
        if (g === "/") break;
      }
    }
    if (!groups.has("/")) {
      groups.set("/", { id: "/", version: rootVersion ?? "", dependencies: [] });
      implicitGroups.add("/");
    }
    const state: RegistryState = {
      apps,
      pods,
      groups,
      rootVersion,
      running: version === undefined ? this.running() : [],
      secrets: this.secrets,
      streamVersion: (streamId) => this.streamVersion(streamId),
    };
    return { state, implicitGroups };
  }

  /** Root versions (one per change), newest first. */
  rootVersions(): string[] {
    return this.groups.get("/")?.versions() ?? [];
  }
}

/** Ids of one kind written since the current state was built, and those of them whose history is new. */
interface KindChanges {
  changed: Set<string>;
  created: Set<string>;
}

/** What changed in the tree since the current state was built, by kind. */
interface TreeChanges {
  apps: KindChanges;
  pods: KindChanges;
  groups: KindChanges;
}

function newTreeChanges(): TreeChanges {
  const kind = (): KindChanges => ({ changed: new Set(), created: new Set() });
  return { apps: kind(), pods: kind(), groups: kind() };
}

function history<T>(map: Map<string, VersionHistory<T>>, id: string): VersionHistory<T> {
  let h = map.get(id);
  if (!h) map.set(id, (h = new VersionHistory<T>()));
  return h;
}

function latest(specs: StoredRunSpec[]): string | undefined {
  let out: string | undefined;
  for (const s of specs) if (out === undefined || s.version > out) out = s.version;
  return out;
}
