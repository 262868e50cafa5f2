/**
 * Group trees (`/v2/groups`, `M/api/v2/json/GroupUpdate.scala`, `M/state/Group.scala`,
 * `M/state/RootGroup.scala`): a group has an id, apps, nested groups and dependencies. Ids are
 * resolved relative to the enclosing group and must be direct children of it.
 *
 * Pods cannot be changed through `/v2/groups` in Marathon 1.4, so a `pods` field in a group body
 * is ignored like any unknown field; `GroupDefinition.pods` exists so that stored trees (which
 * do hold pods) can be checked by `checkGroupTree`.
 */
import type { FieldViolation } from "@gantry/platform";
import type { AppDefinition } from "./app.model.ts";
import { checkId, readApp } from "./app-validator.ts";
import { compileOptions, type CompiledOptions, type MarathonValidationOptions } from "./common-rules.ts";
import {
  buildDependencyGraph,
  CYCLE_MESSAGE,
  describeCycle,
  detectDependencyCycles,
  type GroupDependencies,
  type RunSpecNode,
} from "./dependency-graph.ts";
import {
  field,
  Issues,
  obj,
  opt,
  req,
  ShapeError,
  str,
  stringArray,
  type JsonObject,
  type Path,
  type PathStyle,
  type ValidationFailure,
} from "./field-validators.ts";
import { externalVolumeTreeIssues } from "./external-volumes.ts";
import { canonicalPath, isChildOf, notChildMessage } from "./path-id.ts";
import type { PodDefinition } from "./pod.model.ts";

/** A normalised group. Invariants: ids canonical; children are direct children of `id`. */
export interface GroupDefinition {
  id: string;
  apps: AppDefinition[];
  pods: PodDefinition[];
  groups: GroupDefinition[];
  dependencies: string[];
}

/** The outcome of `validateGroup`. */
export type GroupValidationResult = { ok: true; group: GroupDefinition } | ValidationFailure;

/** Marathon's group-tree messages. */
export const GroupMessages = {
  appsAndGroups: "Groups and Applications may not have the same identifier.",
  appsAndPods: "Applications and Pods may not share the same id",
  duplicateIds: "Run spec ids must be unique within the tree",
  cycle: CYCLE_MESSAGE,
} as const;

/**
 * Validates a group body (`POST/PUT /v2/groups[/{id}]`). The group's id resolves against
 * `options.parentGroup` (default `/`) and may be the root. Nested apps and groups are validated
 * as Marathon does, with violation paths under `/apps/<i>` and `/groups/<i>`; then the whole tree
 * is checked (`checkGroupTree`).
 */
export function validateGroup(raw: unknown, options?: MarathonValidationOptions): GroupValidationResult {
  const opts = compileOptions(options);
  const is = new Issues();
  const group = readGroup(raw, [], is, opts, undefined);
  if (group !== undefined && !is.hasShapeErrors) for (const v of treeIssues(group)) is.violation(v.path, v.message);
  const failure = is.failure(opts.pathStyle);
  if (failure !== undefined) return failure;
  if (group === undefined) return { ok: false, message: "Invalid JSON", violations: [{ path: "/", errors: [ShapeError.object] }] };
  return { ok: true, group };
}

function readGroup(raw: unknown, path: Path, is: Issues, opts: CompiledOptions, parent: string | undefined): GroupDefinition | undefined {
  const o = obj(raw, path, is);
  if (o === undefined) return undefined;
  const rawId = req(o, "id", str, path, is);
  const base = parent ?? opts.parentGroup;
  const id = rawId === undefined ? base : canonicalPath(rawId, base);
  if (rawId !== undefined) {
    checkId(is, [...path, "id"], rawId, id, parent === undefined);
    if (parent !== undefined && !isChildOf(id, parent)) is.violation([...path, "id"], notChildMessage(id, parent));
  }
  const group: GroupDefinition = { id, apps: [], pods: [], groups: [], dependencies: [] };
  group.dependencies = [...new Set((opt(o, "dependencies", stringArray, path, is) ?? []).map((d) => canonicalPath(d, id)))];
  readChildren(o, "apps", path, is, (child, childPath) => {
    const sub = new Issues();
    const app = readApp(child, sub, { ...opts, parentGroup: id });
    absorb(is, sub, childPath);
    if (app === undefined) return;
    if (!isChildOf(app.id, id)) is.violation([...childPath, "id"], notChildMessage(app.id, id));
    group.apps.push(app);
  });
  readChildren(o, "groups", path, is, (child, childPath) => {
    const sub = readGroup(child, childPath, is, opts, id);
    if (sub !== undefined) group.groups.push(sub);
  });
  return group;
}

function readChildren(o: JsonObject, key: string, path: Path, is: Issues, each: (child: unknown, path: Path) => void): void {
  const v = field(o, key);
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    is.typeError([...path, key], ShapeError.array);
    return;
  }
  v.forEach((child: unknown, i) => each(child, [...path, key, i]));
}

function absorb(into: Issues, from: Issues, prefix: Path): void {
  for (const s of from.shape) into.typeError([...prefix, ...s.path], s.message);
  for (const r of from.rules) into.violation([...prefix, ...r.path], r.message);
}

/** Every app, pod and group of a tree, depth first. */
export function flattenGroup(root: GroupDefinition): { apps: AppDefinition[]; pods: PodDefinition[]; groups: GroupDefinition[] } {
  const out = { apps: [] as AppDefinition[], pods: [] as PodDefinition[], groups: [] as GroupDefinition[] };
  const walk = (g: GroupDefinition): void => {
    out.groups.push(g);
    out.apps.push(...g.apps);
    out.pods.push(...g.pods);
    g.groups.forEach(walk);
  };
  walk(root);
  return out;
}

/** The dependency-graph inputs of a tree: run specs with their own deps, and group deps. */
export function graphInputsOf(root: GroupDefinition): { specs: RunSpecNode[]; groups: GroupDependencies[] } {
  const flat = flattenGroup(root);
  return {
    specs: [...flat.apps.map((a) => ({ id: a.id, dependencies: a.dependencies })), ...flat.pods.map((p) => ({ id: p.id, dependencies: [] }))],
    groups: flat.groups.filter((g) => g.dependencies.length > 0).map((g) => ({ groupId: g.id, dependencies: g.dependencies })),
  };
}

function treeIssues(root: GroupDefinition): { path: Path; message: string }[] {
  const flat = flattenGroup(root);
  const out: { path: Path; message: string }[] = [];
  const appIds = flat.apps.map((a) => a.id);
  const podIds = new Set(flat.pods.map((p) => p.id));
  const groupIds = new Set(flat.groups.map((g) => g.id));
  if (appIds.some((id) => groupIds.has(id))) out.push({ path: [], message: GroupMessages.appsAndGroups });
  if (appIds.some((id) => podIds.has(id))) out.push({ path: [], message: GroupMessages.appsAndPods });
  if (new Set(appIds).size !== appIds.length) out.push({ path: [], message: GroupMessages.duplicateIds });
  const { specs, groups } = graphInputsOf(root);
  const cycle = detectDependencyCycles(buildDependencyGraph(specs, groups));
  if (cycle !== undefined) {
    out.push({ path: [], message: GroupMessages.cycle });
    out.push({ path: [], message: describeCycle(cycle) });
  }
  return out;
}

/**
 * Checks the rules that span a whole (root) tree: apps/pods/groups may not share ids, the
 * dependency graph must be acyclic (violations at `/`), a `dvdi` external volume name belongs
 * to one app (at `/groups(i)/apps(j)/externalVolumes(k)`) and an app with one has at most one
 * instance (at `/groups(i)/apps(j)`), see `external-volumes.ts`. The registry
 * runs this on the stored root after merging a change into it (the tree then includes pods).
 */
export function checkGroupTree(root: GroupDefinition, pathStyle: PathStyle = "pointer"): FieldViolation[] {
  const is = new Issues();
  for (const i of [...treeIssues(root), ...externalVolumeTreeIssues(root)]) is.violation(i.path, i.message);
  return is.failure(pathStyle)?.violations ?? [];
}
