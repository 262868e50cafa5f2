import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { statusPairs, type RunSpecStatus } from "./run-spec-status.ts";
import { renderKeyValues } from "./table.ts";

/**
 * Human views of Marathon definitions as they travel in the API (plain JSON Structs). Fields
 * are read defensively: a definition the registry stored is normalised, but the CLI shows
 * whatever it is given and never fails on a missing field.
 */

/** The figures a table shows for one app or pod: instances and total per-instance resources. */
export interface RunSpecSummary {
  kind: "app" | "pod";
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  /** The app's cmd (or docker image), or the pod's container names. */
  what: string;
  /** The definition's `version` field where it carries one (members of a group's JSON do). */
  version: string;
}

/** A stored app or pod version as the registry returns it (AppVersion, PodVersion). */
export interface StoredRunSpec {
  id: string;
  version: string;
  definition?: JsonObject;
  lastConfigChangeAt: string;
  lastScalingAt: string;
}

function num(value: JsonValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function obj(value: JsonValue | undefined): JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
}

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

/** Rounds a resource figure for display (cpus 0.1 + 0.2 shows as 0.3). */
function figure(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Summarises a Marathon app definition (Marathon's defaults where a field is absent). */
export function summarizeApp(def: JsonObject = {}): RunSpecSummary {
  const image = obj(obj(def.container).docker).image;
  return {
    kind: "app",
    id: String(def.id ?? ""),
    instances: num(def.instances, 1),
    cpus: num(def.cpus, 1),
    mem: num(def.mem, 128),
    disk: num(def.disk, 0),
    what: typeof def.cmd === "string" ? def.cmd : typeof image === "string" ? image : list(def.args).join(" "),
    version: String(def.version ?? ""),
  };
}

/** Summarises a Marathon pod definition: resources are the sums over its containers. */
export function summarizePod(def: JsonObject = {}): RunSpecSummary {
  const containers = list(def.containers).map(obj);
  const sum = (key: string, fallback: number) => figure(containers.reduce((acc, c) => acc + num(obj(c.resources)[key], fallback), 0));
  return {
    kind: "pod",
    id: String(def.id ?? ""),
    instances: num(obj(def.scaling).instances, 1),
    cpus: sum("cpus", 1),
    mem: sum("mem", 128),
    disk: sum("disk", 0),
    what: containers.map((c) => String(c.name ?? "")).join(","),
    version: String(def.version ?? ""),
  };
}

/**
 * `gantry app show` / `gantry pod show`: the summary, the version timestamps, how it does (when
 * `status` is given: tasks, instances waiting and why, the last failed task), then the full
 * definition.
 */
export function renderRunSpec(stored: StoredRunSpec, summary: RunSpecSummary, status?: RunSpecStatus): string {
  const head = renderKeyValues([
    ["id", stored.id],
    ["version", stored.version],
    ["instances", summary.instances],
    ["cpus", summary.cpus],
    ["mem", summary.mem],
    ["disk", summary.disk],
    [summary.kind === "app" ? "cmd" : "containers", summary.what],
    ["config changed", stored.lastConfigChangeAt],
    ["scaled", stored.lastScalingAt],
    ...(status ? statusPairs(status, summary.instances) : []),
  ]);
  return `${head}\n\ndefinition:\n${JSON.stringify(stored.definition ?? {}, null, 2)}`;
}

/** One group of a Marathon group tree, with its direct members. */
export interface GroupNode {
  id: string;
  version: string;
  apps: JsonObject[];
  pods: JsonObject[];
  groups: GroupNode[];
  dependencies: string[];
}

/** Reads Marathon's group JSON ({id, apps[], pods[], groups[], dependencies[], version}). */
export function readGroup(json: JsonObject = {}): GroupNode {
  return {
    id: String(json.id ?? "/"),
    version: String(json.version ?? ""),
    apps: list(json.apps).map(obj),
    pods: list(json.pods).map(obj),
    groups: list(json.groups).map((g) => readGroup(obj(g))),
    dependencies: list(json.dependencies).map(String),
  };
}

/** The group and every group below it, depth first, parents before children. */
export function flattenGroups(group: GroupNode): GroupNode[] {
  return [group, ...group.groups.flatMap(flattenGroups)];
}

/** Every app and pod in the group and below it, summarised, ordered by id. */
export function runSpecsOf(group: GroupNode): RunSpecSummary[] {
  return flattenGroups(group)
    .flatMap((g) => [...g.apps.map((a) => summarizeApp(a)), ...g.pods.map((p) => summarizePod(p))])
    .sort((a, b) => a.id.localeCompare(b.id));
}
