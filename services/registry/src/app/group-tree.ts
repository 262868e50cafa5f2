import type { JsonObject } from "@bufbuild/protobuf";
import { isUnder, parentOf, type AppDefinition, type GroupDefinition, type PodDefinition } from "../domain/index.ts";
import type { RegistryState } from "./registry-state.ts";
import { derivationsOf } from "./state-derivations.ts";

/**
 * A whole desired tree in flat form: run specs by id, and every group's dependencies by id
 * (the root `/` included). What a command builds and the decider turns into events.
 */
export interface DesiredState {
  apps: Map<string, AppDefinition>;
  pods: Map<string, PodDefinition>;
  groups: Map<string, string[]>;
}

/** A mutable copy of the current state, for a command to edit into its target (the specs copied from the state's derivations). */
export function desiredFrom(state: RegistryState): DesiredState {
  const { appSpecs, podSpecs } = derivationsOf(state);
  return {
    apps: new Map(appSpecs),
    pods: new Map(podSpecs),
    groups: new Map([...state.groups].map(([id, g]) => [id, [...g.dependencies]])),
  };
}

/**
 * Adds every missing ancestor group (with no dependencies) of every member, and the root. With
 * `from`, the state the desired one was copied from, members of that state are passed over while
 * every one of its groups is still desired: its groups hold all their ancestors already.
 */
export function withAncestors(desired: DesiredState, from?: RegistryState): DesiredState {
  if (!desired.groups.has("/")) desired.groups.set("/", []);
  const known = from !== undefined && everyGroupStays(from, desired) ? from : undefined;
  const add = (id: string) => {
    for (let g = parentOf(id); !desired.groups.has(g); g = parentOf(g)) desired.groups.set(g, []);
  };
  for (const id of desired.apps.keys()) if (!known?.apps.has(id)) add(id);
  for (const id of desired.pods.keys()) if (!known?.pods.has(id)) add(id);
  // A copy of the keys: adding groups while iterating them would visit the added ones too.
  for (const id of [...desired.groups.keys()]) if (!known?.groups.has(id)) add(id);
  return desired;
}

/** Whether every group of `from` is still in `desired`. */
function everyGroupStays(from: RegistryState, desired: DesiredState): boolean {
  for (const g of from.groups.keys()) if (!desired.groups.has(g)) return false;
  return true;
}

/** Removes everything at or below `groupId` (the group itself too, unless it is the root). */
export function removeSubtree(desired: DesiredState, groupId: string): void {
  for (const map of [desired.apps, desired.pods, desired.groups] as Map<string, unknown>[]) {
    for (const id of [...map.keys()]) if (isUnder(id, groupId) && id !== "/") map.delete(id);
  }
}

/** The desired state as the domain's nested GroupDefinition rooted at `/`. */
export function treeOf(desired: DesiredState): GroupDefinition {
  const nodes = new Map<string, GroupDefinition>();
  const node = (id: string): GroupDefinition => {
    let g = nodes.get(id);
    if (!g) {
      g = { id, apps: [], pods: [], groups: [], dependencies: desired.groups.get(id) ?? [] };
      nodes.set(id, g);
      if (id !== "/") node(parentOf(id)).groups.push(g);
    }
    return g;
  };
  node("/");
  for (const id of [...desired.groups.keys()].sort()) node(id);
  for (const [id, app] of [...desired.apps].sort(byKey)) node(parentOf(id)).apps.push(app);
  for (const [id, pod] of [...desired.pods].sort(byKey)) node(parentOf(id)).pods.push(pod);
  return nodes.get("/")!;
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Marathon's group JSON for `groupId` in `state`: `{id, apps, pods, groups, dependencies, version}`
 * with every app and pod as its stored definition (id and version included), members ordered by
 * id. A group's version is the newest version of anything in it (Marathon bumps every enclosing
 * group); the root's is the root version. Undefined when the group does not exist.
 */
export function renderGroup(state: RegistryState, groupId: string): JsonObject | undefined {
  if (!state.groups.has(groupId)) return undefined;
  const render = (id: string): { json: JsonObject; version: string } => {
    let version = state.groups.get(id)?.version ?? "";
    const apps = [...state.apps.values()].filter((a) => parentOf(a.id) === id && a.id !== "/").sort((a, b) => cmp(a.id, b.id));
    const pods = [...state.pods.values()].filter((p) => parentOf(p.id) === id && p.id !== "/").sort((a, b) => cmp(a.id, b.id));
    const groups = [...state.groups.keys()].filter((g) => g !== "/" && parentOf(g) === id).sort(cmp).map(render);
    for (const v of [...apps, ...pods, ...groups].map((m) => m.version)) if (v > version) version = v;
    if (id === "/" && state.rootVersion) version = state.rootVersion;
    return {
      version,
      json: {
        id,
        apps: apps.map((a) => a.definition),
        pods: pods.map((p) => p.definition),
        groups: groups.map((g) => g.json),
        dependencies: state.groups.get(id)?.dependencies ?? [],
        version,
      },
    };
  };
  return render(groupId).json;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
