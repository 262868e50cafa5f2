import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment, eventsV1Group, registryV1App } from "@gantry/proto";
import { invalidObject, type NewEvent, type StreamAppend } from "@gantry/platform";
import { checkGroupTree, checkResidentUpdates, computeDeploymentPlan, computeScopedDeploymentPlan, jsonEqual, runSpecSetOf, type AppDefinition, type DeploymentPlan } from "../domain/index.ts";
import { scopeOfChange, type ChangeScope } from "./change-scope.ts";
import { conflictingDeployments, lockedError } from "./deployment-locks.ts";
import { desiredFrom, treeOf, withAncestors, type DesiredState } from "./group-tree.ts";
import { streams, type RegistryState, type StoredRunSpec } from "./registry-state.ts";
import { VALIDATION } from "./request-checks.ts";
import { APP_KIND, decideRunSpecs, event, POD_KIND, union, type RunSpecChange } from "./run-spec-versions.ts";

/** How a command wants its target state applied. */
export interface ChangeOptions {
  /** Id of the deployment this change becomes (a fresh UUID). */
  deploymentId: string;
  now: Date;
  /** Cancel running deployments that touch the same apps/pods instead of failing with the lock error. */
  force: boolean;
  /** App/pod ids the command names: they get a new version even when their definition is unchanged. */
  touched?: ReadonlySet<string>;
  /** App/pod ids to restart although unchanged (`POST /v2/apps/{id}/restart`). */
  restart?: ReadonlySet<string>;
  /** Running deployments to cancel whatever the plan touches (`DELETE /v2/deployments/{id}`). */
  cancel?: readonly string[];
  /** Why superseded deployments are cancelled, recorded in DeploymentCancelled. */
  reason?: string;
  /**
   * App/pod ids put back as they were (a rollback), with the configuration version they ran
   * then: the instances still running it are not replaced.
   */
  restoredConfig?: ReadonlyMap<string, string>;
  /** Per app/pod, instances its scale action kills before any other (a kill with scale). */
  instancesToKill?: ReadonlyMap<string, readonly string[]>;
}

/** What a change writes and what it leads to. `appends` go to the log in ONE transaction. */
export interface ChangeDecision {
  /** The new root version; every app/pod/group written gets it. */
  version: string;
  deployment: registryV1App.Deployment;
  plan: DeploymentPlan;
  appends: StreamAppend[];
  /** New versions of the apps and pods written (deleted ones are absent). */
  apps: Map<string, StoredRunSpec>;
  pods: Map<string, StoredRunSpec>;
  /** Deployments this change cancels. */
  cancelled: string[];
}

/** A version strictly after `previous` (so versions never repeat), normally `now`. */
export function nextVersion(previous: string | undefined, now: Date): string {
  const candidate = now.toISOString();
  if (previous === undefined || candidate > previous) return candidate;
  return new Date(Date.parse(previous) + 1).toISOString();
}

/**
 * The current side of a change, made once per tree: the projection's states share their maps of
 * apps, pods and groups until one of those changes (keyed by the apps map).
 */
const currentSides = new WeakMap<RegistryState["apps"], { current: DesiredState; runSpecs: ReturnType<typeof runSpecSetOf> }>();

/** The state as a desired state and as the run spec set plans start from; read only. */
function currentSideOf(state: RegistryState): { current: DesiredState; runSpecs: ReturnType<typeof runSpecSetOf> } {
  let side = currentSides.get(state.apps);
  if (!side) {
    const current = withAncestors(desiredFrom(state), state);
    side = { current, runSpecs: runSpecSetOf(treeOf(current)) };
    currentSides.set(state.apps, side);
  }
  return side;
}

/**
 * Decides one change of desired state (the heart of every registry command; pure): checks the
 * whole target tree (ids, dependency cycles), computes Marathon's deployment plan from the
 * current tree to the target, refuses resource or persistent-volume changes of resident apps
 * (Marathon's deployment plan validator), refuses it when a running deployment touches the
 * same apps/pods (unless `force`, which cancels them), and produces the events of every stream it touches at
 * the versions the state holds: app/pod Created/Updated/Deleted with their full new version,
 * group events for groups whose own attributes changed, a GroupUpdated of the root (`group-/`,
 * the root version timeline, which also serialises concurrent changes), DeploymentPlanned and
 * DeploymentCancelled. Throws InvalidArgument (tree violations) or FailedPrecondition (lock).
 *
 * `path` "scoped" (the default) checks and plans only the run specs the change may act on when
 * that gives the same decision (`scopeOfChange`: a tree without dependencies or external
 * volumes), and the whole tree otherwise; "whole tree" always takes the whole-tree path (the
 * reference the scoped one is tested against).
 */
export function decideChange(state: RegistryState, target: DesiredState, options: ChangeOptions, path: "scoped" | "whole tree" = "scoped"): ChangeDecision {
  const desired = withAncestors(target, state);
  const restart = options.restart ?? new Set<string>();
  const touched = options.touched ?? new Set<string>();
  const scope = path === "scoped" ? scopeOfChange(state, desired, new Set([...touched, ...restart])) : undefined;
  const { plan, currentApps } = scope ? planScope(scope, restart) : planWholeTree(state, desired, restart);
  // Marathon's deployment plan validator: resident apps keep their volumes and resources.
  const updatedApps = plan.affectedApps.flatMap((id) => desired.apps.get(id) ?? []);
  const residentViolations = checkResidentUpdates(currentApps, updatedApps, VALIDATION.pathStyle);
  if (residentViolations.length > 0) throw invalidObject(residentViolations);

  const explicit = new Set(options.cancel ?? []);
  const conflicts = conflictingDeployments(plan, state.running).map((r) => r.deployment.id).filter((id) => !explicit.has(id));
  if (conflicts.length > 0 && !options.force) throw lockedError(conflicts);
  const cancelled = [...explicit, ...conflicts];

  const version = nextVersion(state.rootVersion, options.now);
  const { deploymentId } = options;
  const appends: StreamAppend[] = [];
  const add = (streamId: string, ...events: NewEvent[]) => appends.push({ streamId, expectedVersion: state.streamVersion(streamId), events });

  const change: RunSpecChange = { version, deploymentId, touched, restart, add, restoredConfig: options.restoredConfig ?? new Map(), sealedSecret: (source) => state.secrets.get(source)?.sealed };
  const apps = decideRunSpecs(state.apps, desired.apps, APP_KIND, change, scope?.apps);
  const pods = decideRunSpecs(state.pods, desired.pods, POD_KIND, change, scope?.pods);

  for (const id of union(state.groups.keys(), desired.groups.keys())) {
    const before = state.groups.get(id);
    const after = desired.groups.get(id);
    const streamId = streams.group(id);
    const existsInLog = state.streamVersion(streamId) > 0 && before !== undefined;
    if (id === "/") {
      // Every change gets a root version: the root's stream is its timeline and its fence.
      const dependencies = after ?? [];
      add(streamId, existsInLog ? event(eventsV1Group.GroupUpdatedSchema, { groupId: id, version, dependencies, deploymentId }) : event(eventsV1Group.GroupCreatedSchema, { groupId: id, version, dependencies, deploymentId }));
    } else if (before && !after) {
      if (state.streamVersion(streamId) > 0) add(streamId, event(eventsV1Group.GroupDeletedSchema, { groupId: id, version, deploymentId }));
    } else if (after && !existsInLog) {
      add(streamId, event(eventsV1Group.GroupCreatedSchema, { groupId: id, version, dependencies: after, deploymentId }));
    } else if (after && before && !jsonEqual(before.dependencies, after)) {
      add(streamId, event(eventsV1Group.GroupUpdatedSchema, { groupId: id, version, dependencies: after, deploymentId }));
    }
  }

  const deployment = create(registryV1App.DeploymentSchema, {
    id: deploymentId,
    version,
    affectedApps: plan.affectedApps,
    affectedPods: plan.affectedPods,
    steps: plan.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, ...("app" in a ? { app: a.app } : { pod: a.pod }), instancesToKill: [...(options.instancesToKill?.get("app" in a ? a.app : a.pod) ?? [])] })) })),
    currentStep: 0,
    totalSteps: plan.steps.length,
  });
  add(streams.deployment(deploymentId), event(eventsV1Deployment.DeploymentPlannedSchema, { deployment }));
  for (const id of cancelled) {
    add(streams.deployment(id), event(eventsV1Deployment.DeploymentCancelledSchema, { deploymentId: id, supersededBy: deploymentId, reason: options.reason ?? "superseded" }));
  }
  return { version, deployment, plan, appends, apps, pods, cancelled };
}

/** The plan and the apps as they are now, from the whole current and target trees (every tree rule checked). */
function planWholeTree(state: RegistryState, desired: DesiredState, restart: ReadonlySet<string>): { plan: DeploymentPlan; currentApps: ReadonlyMap<string, AppDefinition> } {
  const targetTree = treeOf(desired);
  const violations = checkGroupTree(targetTree, VALIDATION.pathStyle);
  if (violations.length > 0) throw invalidObject(violations);
  const { current, runSpecs } = currentSideOf(state);
  return { plan: computeDeploymentPlan(runSpecs, runSpecSetOf(targetTree), { restart }), currentApps: current.apps };
}

/** The same plan from the change's scope alone (see `scopeOfChange` for when it is the same). */
function planScope(scope: ChangeScope, restart: ReadonlySet<string>): { plan: DeploymentPlan; currentApps: ReadonlyMap<string, AppDefinition> } {
  const currentApps = new Map<string, AppDefinition>();
  for (const [id, s] of scope.before) if (s.kind === "app") currentApps.set(id, s.def);
  return { plan: computeScopedDeploymentPlan(scope.before, scope.after, { restart }), currentApps };
}
