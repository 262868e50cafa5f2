/**
 * Marathon's deployment plan (`M/upgrade/DeploymentPlan.scala`): given the run specs before and
 * after a change, the ordered steps that carry it out. Steps run one after another; the actions
 * of a step run in parallel. Empty steps are removed.
 *
 *   0. ResolveArtifacts   new or changed apps with storeUrls
 *   1. Stop*              run specs only in `current`
 *   2. Start*(scaleTo 0)  run specs only in `target`
 *   3. per dependency layer (longest dependency path, ascending):
 *        new                                   → Scale*
 *        only `instances` changed, or target 0 → Scale*
 *        any other change (or a forced restart)→ Restart*
 */
import type { AppDefinition } from "./app.model.ts";
import { buildDependencyGraph, longestPathLengths, type GroupDependencies } from "./dependency-graph.ts";
import { jsonEqual } from "./field-validators.ts";
import { flattenGroup, graphInputsOf, type GroupDefinition } from "./group-validator.ts";
import type { PodDefinition } from "./pod.model.ts";

/** Action names as Marathon writes them (`FMT` `DeploymentActionWrites`). */
export type AppActionName = "StartApplication" | "StopApplication" | "ScaleApplication" | "RestartApplication" | "ResolveArtifacts";
export type PodActionName = "StartPod" | "StopPod" | "ScalePod" | "RestartPod";

/** One action: `{"action": "...", "app": "/id"}` or `{"action": "...", "pod": "/id"}`. */
export type DeploymentAction = { action: AppActionName; app: string } | { action: PodActionName; pod: string };

/** One step: its actions run in parallel. */
export interface DeploymentStep {
  actions: DeploymentAction[];
}

/** The plan: steps in order, and the ids it touches (sorted). */
export interface DeploymentPlan {
  steps: DeploymentStep[];
  affectedApps: string[];
  affectedPods: string[];
}

/** The run specs on one side of a deployment. */
export interface RunSpecSet {
  apps: readonly AppDefinition[];
  pods?: readonly PodDefinition[];
  /** Dependencies declared on groups; they apply to every run spec below the group. */
  groupDependencies?: readonly GroupDependencies[];
}

/** Options of `computeDeploymentPlan`. */
export interface DeploymentPlanOptions {
  /** Ids to restart even if unchanged (`POST /v2/apps/{id}/restart` marks the version as new). */
  restart?: Iterable<string>;
}

/** The run specs of a group tree, for `computeDeploymentPlan`. */
export function runSpecSetOf(root: GroupDefinition): RunSpecSet {
  const flat = flattenGroup(root);
  return { apps: flat.apps, pods: flat.pods, groupDependencies: graphInputsOf(root).groups };
}

/** One run spec on one side of a change, as the plan compares it. */
export type PlannedRunSpec = { kind: "app"; def: AppDefinition } | { kind: "pod"; def: PodDefinition };
type Spec = PlannedRunSpec;

function specsOf(set: RunSpecSet): Map<string, Spec> {
  const out = new Map<string, Spec>();
  for (const def of set.apps) out.set(def.id, { kind: "app", def });
  for (const def of set.pods ?? []) out.set(def.id, { kind: "pod", def });
  return out;
}

function instancesOf(s: Spec): number {
  return s.kind === "app" ? s.def.instances : s.def.scaling.instances;
}

function withoutInstances(s: Spec): unknown {
  return s.kind === "app" ? { ...s.def, instances: 0 } : { ...s.def, scaling: { ...s.def.scaling, instances: 0 } };
}

function action(s: Spec, verb: "Start" | "Stop" | "Scale" | "Restart"): DeploymentAction {
  if (s.kind === "pod") return { action: `${verb}Pod`, pod: s.def.id };
  return { action: `${verb}Application`, app: s.def.id };
}

/**
 * Computes the plan that turns `current` into `target`. Pure and deterministic (ids sorted
 * within a step). Precondition: `target`'s dependency graph is acyclic (the group validator
 * refuses cycles); on a cycle the layering is undefined but the function still terminates.
 */
export function computeDeploymentPlan(current: RunSpecSet, target: RunSpecSet, options: DeploymentPlanOptions = {}): DeploymentPlan {
  const before = specsOf(current);
  const after = specsOf(target);
  // Layers: group target run specs by the length of their longest dependency path.
  const graph = buildDependencyGraph(
    [...after.values()].map((s) => ({ id: s.def.id, dependencies: s.kind === "app" ? s.def.dependencies : [] })),
    target.groupDependencies ?? [],
  );
  const lengths = longestPathLengths(graph);
  return planSteps(before, after, new Set(options.restart ?? []), (id) => lengths.get(id) ?? 0);
}

/**
 * The plan of a change whose target has no dependency edges (no app and no group declares a
 * dependency), from the run specs that may have changed only: `before` and `after` hold those
 * (their current and target definitions; absent on a side where the run spec does not exist).
 * Precondition: every run spec left out exists on both sides with the SAME definition and is
 * not restarted; such a run spec takes no action in `computeDeploymentPlan` (it is not changed,
 * added or removed, and with no edges every layer is 0), so both give the same plan. This is
 * what makes a change among thousands of apps cost what it changes, not the size of the tree.
 */
export function computeScopedDeploymentPlan(before: ReadonlyMap<string, PlannedRunSpec>, after: ReadonlyMap<string, PlannedRunSpec>, options: DeploymentPlanOptions = {}): DeploymentPlan {
  return planSteps(before, after, new Set(options.restart ?? []), () => 0);
}

/** The steps from `before` to `after`, each changed target run spec in the layer `layerOf` gives it. */
function planSteps(before: ReadonlyMap<string, Spec>, after: ReadonlyMap<string, Spec>, restart: ReadonlySet<string>, layerOf: (id: string) => number): DeploymentPlan {
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const steps: DeploymentStep[] = [];

  const changed = (id: string): boolean => {
    const a = before.get(id);
    const b = after.get(id);
    return a === undefined || b === undefined || restart.has(id) || !jsonEqual(a.def, b.def);
  };

  const targetIds = [...after.keys()].sort(byId);
  const resolve = targetIds
    .map((id) => after.get(id) as Spec)
    .filter((s): s is Extract<Spec, { kind: "app" }> => s.kind === "app" && s.def.storeUrls.length > 0 && changed(s.def.id))
    .map((s): DeploymentAction => ({ action: "ResolveArtifacts", app: s.def.id }));
  steps.push({ actions: resolve });

  const removed = [...before.keys()].filter((id) => !after.has(id)).sort(byId);
  steps.push({ actions: removed.map((id) => action(before.get(id) as Spec, "Stop")) });

  const added = targetIds.filter((id) => !before.has(id));
  steps.push({ actions: added.map((id) => action(after.get(id) as Spec, "Start")) });

  const layers = new Map<number, DeploymentAction[]>();
  for (const id of targetIds) {
    if (!changed(id)) continue;
    const next = after.get(id) as Spec;
    const prev = before.get(id);
    let act: DeploymentAction | undefined;
    if (prev === undefined) act = action(next, "Scale");
    else if (!restart.has(id) && (jsonEqual(withoutInstances(prev), withoutInstances(next)) || instancesOf(next) === 0)) act = action(next, "Scale");
    else act = action(next, "Restart");
    const layer = layerOf(id);
    layers.set(layer, [...(layers.get(layer) ?? []), act]);
  }
  for (const layer of [...layers.keys()].sort((a, b) => a - b)) steps.push({ actions: layers.get(layer) ?? [] });

  const nonEmpty = steps.filter((s) => s.actions.length > 0);
  const all = nonEmpty.flatMap((s) => s.actions);
  const affectedApps = [...new Set(all.flatMap((a) => ("app" in a ? [a.app] : [])))].sort(byId);
  const affectedPods = [...new Set(all.flatMap((a) => ("pod" in a ? [a.pod] : [])))].sort(byId);
  return { steps: nonEmpty, affectedApps, affectedPods };
}
