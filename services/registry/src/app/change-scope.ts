import { usesExternalVolumes, type PlannedRunSpec } from "../domain/index.ts";
import type { DesiredState } from "./group-tree.ts";
import type { RegistryState } from "./registry-state.ts";
import { derivationsOf } from "./state-derivations.ts";

/**
 * The run specs a change may act on, on both sides: every app and pod whose target definition
 * is not the very object stored now (new, edited, or gone) and every one the command names.
 * Everything else is the stored spec itself, so the decider and the plan can skip it.
 */
export interface ChangeScope {
  /** Current definitions of the run specs in scope that exist now. */
  before: Map<string, PlannedRunSpec>;
  /** Target definitions of the run specs in scope that exist in the target. */
  after: Map<string, PlannedRunSpec>;
  /** App ids in scope, sorted (the order their events are written in). */
  apps: string[];
  /** Pod ids in scope, sorted. */
  pods: string[];
}

/**
 * The scope of a change when deciding it from the scope alone gives exactly what deciding the
 * whole tree gives; undefined otherwise (the caller then decides on the whole tree). That holds
 * when the target tree has no dependency edge (no app and no group declares a dependency: every
 * plan layer is 0 and there is no cycle), no app declares an external volume (the only other
 * rule that spans apps), no app id is also a group or pod id in the target, and no app id in
 * scope is also a pod id now: then `checkGroupTree` of the target is empty, and run specs out of
 * scope take no action and write no event. An app the command left as stored is settled by the
 * state's derivations (no stored app blocks the scope; a new group or a changed pod is checked
 * against the apps): one pass over the target with a map lookup per run spec, no tree, sort or
 * graph of all of it, so a create among 1,000 apps costs what the create changes.
 */
export function scopeOfChange(state: RegistryState, desired: DesiredState, named: ReadonlySet<string>): ChangeScope | undefined {
  for (const dependencies of desired.groups.values()) if (dependencies.length > 0) return undefined;
  const { appSpecs, podSpecs, appsBlockingScope } = derivationsOf(state);
  if (appsBlockingScope > 0) return undefined;
  // What the command added beside the apps: a group or pod where an app (changed or not) is.
  for (const id of desired.groups.keys()) if (!state.groups.has(id) && desired.apps.has(id)) return undefined;
  for (const [id, pod] of desired.pods) if (podSpecs.get(id) !== pod && desired.apps.has(id)) return undefined;
  const before = new Map<string, PlannedRunSpec>();
  const after = new Map<string, PlannedRunSpec>();
  const apps: string[] = [];
  const pods: string[] = [];
  for (const [id, app] of desired.apps) {
    const stored = appSpecs.get(id);
    if (stored === app && !named.has(id)) continue;
    if (app.dependencies.length > 0 || usesExternalVolumes(app) || desired.groups.has(id) || desired.pods.has(id)) return undefined;
    if (state.pods.has(id)) return undefined;
    apps.push(id);
    after.set(id, { kind: "app", def: app });
    if (stored) before.set(id, { kind: "app", def: stored });
  }
  for (const [id, stored] of appSpecs) {
    if (desired.apps.has(id)) continue;
    if (state.pods.has(id)) return undefined;
    apps.push(id);
    before.set(id, { kind: "app", def: stored });
  }
  for (const [id, pod] of desired.pods) {
    const stored = podSpecs.get(id);
    if (stored === pod && !named.has(id)) continue;
    pods.push(id);
    after.set(id, { kind: "pod", def: pod });
    if (stored) before.set(id, { kind: "pod", def: stored });
  }
  for (const [id, stored] of podSpecs) {
    if (desired.pods.has(id)) continue;
    pods.push(id);
    before.set(id, { kind: "pod", def: stored });
  }
  return { before, after, apps: apps.sort(byId), pods: pods.sort(byId) };
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
