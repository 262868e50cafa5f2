import { usesExternalVolumes, type AppDefinition, type PodDefinition } from "../domain/index.ts";
import { appSpecOf, podSpecOf, type RegistryState } from "./registry-state.ts";

/**
 * What every change derives from the state it starts from, kept per state: the specs a command's
 * desired state starts as (`desiredFrom`) and what lets the scoped decision skip unchanged run
 * specs (`scopeOfChange`). Derived once per state, or carried from the previous state for just
 * the ids that changed (`deriveAfter`, by the projection): a create among 1,000 apps then costs
 * two native map copies, not a pass over every app with a lookup per spec.
 */
export interface StateDerivations {
  /** `appSpecOf` of every app, by id. */
  readonly appSpecs: ReadonlyMap<string, AppDefinition>;
  /** `podSpecOf` of every pod, by id. */
  readonly podSpecs: ReadonlyMap<string, PodDefinition>;
  /** Apps that keep a change off the scoped path even unchanged (`blocksScope`). */
  readonly appsBlockingScope: number;
}

/** By the state's apps map (a state whose tree did not move shares it, and its derivations). */
const derivations = new WeakMap<RegistryState["apps"], StateDerivations>();

/** The derivations of a state: kept, or derived now (one pass) and kept. */
export function derivationsOf(state: RegistryState): StateDerivations {
  let d = derivations.get(state.apps);
  if (d === undefined) {
    let appsBlockingScope = 0;
    const appSpecs = new Map<string, AppDefinition>();
    for (const [id, stored] of state.apps) {
      const spec = appSpecOf(stored);
      appSpecs.set(id, spec);
      if (blocksScope(state, id, spec)) appsBlockingScope++;
    }
    const podSpecs = new Map<string, PodDefinition>();
    for (const [id, stored] of state.pods) podSpecs.set(id, podSpecOf(stored));
    derivations.set(state.apps, (d = { appSpecs, podSpecs, appsBlockingScope }));
  }
  return d;
}

/**
 * Carries `before`'s derivations (when it has them) over to `after`, a state that differs from it
 * only at `changed` ids (apps, pods and groups alike: an app's blocking depends on a group or pod
 * of the same id; each id once); otherwise `after`'s are derived when first asked for.
 */
export function deriveAfter(before: RegistryState, after: RegistryState, changed: ReadonlySet<string>): void {
  const d = derivations.get(before.apps);
  if (d === undefined) return;
  const appSpecs = new Map(d.appSpecs);
  const podSpecs = new Map(d.podSpecs);
  let appsBlockingScope = d.appsBlockingScope;
  for (const id of changed) {
    const beforeSpec = d.appSpecs.get(id);
    if (beforeSpec !== undefined && blocksScope(before, id, beforeSpec)) appsBlockingScope--;
    const app = after.apps.get(id);
    if (app === undefined) appSpecs.delete(id);
    else {
      const spec = appSpecOf(app);
      appSpecs.set(id, spec);
      if (blocksScope(after, id, spec)) appsBlockingScope++;
    }
    const pod = after.pods.get(id);
    if (pod === undefined) podSpecs.delete(id);
    else podSpecs.set(id, podSpecOf(pod));
  }
  derivations.set(after.apps, { appSpecs, podSpecs, appsBlockingScope });
}

/**
 * Whether an app keeps every change to its tree off the scoped path, changed or not: it declares
 * dependencies or an external volume, or its id is also a group's or a pod's.
 */
function blocksScope(state: RegistryState, id: string, app: AppDefinition): boolean {
  return app.dependencies.length > 0 || usesExternalVolumes(app) || state.groups.has(id) || state.pods.has(id);
}
