import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { eventsV1App, eventsV1Pod, type registryV1RunSpec } from "@gantry/proto";
import { eventOf, invalidObject, type NewEvent } from "@gantry/platform";
import { jsonEqual } from "../domain/index.ts";
import { appRunSpecOf, appSpecOf, plainJson, podRunSpecOf, podSpecOf, streams, type StoredDefinition, type StoredRunSpec } from "./registry-state.ts";

/** A new app/pod version as AppCreated/AppUpdated (PodCreated/PodUpdated) carry it, its RunSpec included. */
export interface RunSpecVersion {
  id: string;
  version: string;
  definition: StoredRunSpec["definition"];
  lastConfigChangeAt: string;
  lastScalingAt: string;
  runSpec: registryV1RunSpec.RunSpec;
}

/** What differs between apps and pods when their versions are decided: streams, events, what a scale changes. */
export interface RunSpecKind {
  stream: (id: string) => string;
  /** The stored definition as the validators produce it (without `version`). */
  specOf: (stored: StoredRunSpec) => unknown;
  /** The typed RunSpec of a stored version, built from its definition. */
  runSpecOf: (stored: StoredDefinition) => registryV1RunSpec.RunSpec;
  /** The definition with its instance count zeroed: equal before and after means a scale only. */
  withoutInstances: (definition: unknown) => unknown;
  deleted: (id: string, version: string, deploymentId: string) => NewEvent;
  created: (spec: RunSpecVersion, deploymentId: string) => NewEvent;
  updated: (spec: RunSpecVersion, deploymentId: string, scaleOnly: boolean, restart: boolean) => NewEvent;
}

/** Apps: `instances` scales; AppUpdated records restarts. */
export const APP_KIND: RunSpecKind = {
  stream: streams.app,
  specOf: appSpecOf,
  runSpecOf: appRunSpecOf,
  withoutInstances: (d) => ({ ...(d as object), instances: 0 }),
  deleted: (appId, version, deploymentId) => event(eventsV1App.AppDeletedSchema, { appId, version, deploymentId }),
  created: (app, deploymentId) => event(eventsV1App.AppCreatedSchema, { app, deploymentId }),
  updated: (app, deploymentId, scaleOnly, restart) => event(eventsV1App.AppUpdatedSchema, { app, deploymentId, scaleOnly, restart }),
};

/** Pods: `scaling.instances` scales; PodUpdated carries no restart flag. */
export const POD_KIND: RunSpecKind = {
  stream: streams.pod,
  specOf: podSpecOf,
  runSpecOf: podRunSpecOf,
  withoutInstances: (d) => ({ ...(d as object), scaling: { ...((d as { scaling?: object }).scaling ?? {}), instances: 0 } }),
  deleted: (podId, version, deploymentId) => event(eventsV1Pod.PodDeletedSchema, { podId, version, deploymentId }),
  created: (pod, deploymentId) => event(eventsV1Pod.PodCreatedSchema, { pod, deploymentId }),
  updated: (pod, deploymentId, scaleOnly) => event(eventsV1Pod.PodUpdatedSchema, { pod, deploymentId, scaleOnly }),
};

/** The change being decided: its root version and deployment, the ids named or restarted, and where events go. */
export interface RunSpecChange {
  version: string;
  deploymentId: string;
  touched: ReadonlySet<string>;
  restart: ReadonlySet<string>;
  /** Ids put back as they were, with the configuration version they ran then (a rollback). */
  restoredConfig: ReadonlyMap<string, string>;
  add: (streamId: string, ...events: NewEvent[]) => void;
  /** The sealed value of a secret source, undefined when the store has none. */
  sealedSecret: (source: string) => string | undefined;
}

/**
 * Decides the new versions of one kind of run spec, in id order: a Deleted event for each one
 * gone, a Created/Updated event (with its full new version, RunSpec included) for each one new,
 * changed, touched or restarted. Returns the versions written. `ids` (sorted) limits the look to
 * the run specs that may have changed (a change's scope); every other one must be unchanged.
 */
export function decideRunSpecs(
  current: ReadonlyMap<string, StoredRunSpec>,
  desired: ReadonlyMap<string, object>,
  kind: RunSpecKind,
  change: RunSpecChange,
  ids: readonly string[] = union(current.keys(), desired.keys()),
): Map<string, StoredRunSpec> {
  const { version, deploymentId, touched, restart, restoredConfig, add } = change;
  const written = new Map<string, StoredRunSpec>();
  for (const id of ids) {
    const before = current.get(id);
    const after = desired.get(id);
    if (before && !after) {
      add(kind.stream(id), kind.deleted(id, version, deploymentId));
      continue;
    }
    if (!after) continue;
    // The stored spec itself: nothing changed (the common case of a change to another app).
    if (before && after === kind.specOf(before) && !touched.has(id) && !restart.has(id)) continue;
    const next = plainJson(after);
    const diff = before ? compare(kind.specOf(before), next, kind.withoutInstances) : "created";
    if (diff === "same" && !touched.has(id) && !restart.has(id)) continue;
    const stored = storedVersion(id, version, next, before, diff, restart.has(id), restoredConfig.get(id));
    const spec = { ...stored, runSpec: sealSecrets(kind.runSpecOf(stored), change.sealedSecret) };
    written.set(id, spec);
    if (!before) add(kind.stream(id), kind.created(spec, deploymentId));
    else add(kind.stream(id), kind.updated(spec, deploymentId, diff === "scale", restart.has(id)));
  }
  return written;
}

/** A log event of message `schema`. */
export function event<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): NewEvent {
  return eventOf(schema, create(schema, init));
}

/** The ids of both, once each, sorted. */
export function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

function compare(before: unknown, after: unknown, withoutInstances: (d: unknown) => unknown): "same" | "scale" | "config" {
  if (jsonEqual(before, after)) return "same";
  return jsonEqual(withoutInstances(before), withoutInstances(after)) ? "scale" : "config";
}

/**
 * A new stored version: its configuration version is the new version when the configuration
 * changed (or a restart was asked), the one before otherwise, and the restored one when a
 * rollback put the configuration back as it ran then.
 */
function storedVersion(id: string, version: string, next: object, before: StoredRunSpec | undefined, diff: "created" | "same" | "scale" | "config", restart: boolean, restored: string | undefined): StoredDefinition {
  const definition = { ...(next as Record<string, never>), id, version };
  const configChanged = diff === "created" || diff === "config" || restart || !before;
  return {
    id,
    version,
    definition,
    lastConfigChangeAt: restored && !restart ? restored : configChanged || !before ? version : before.lastConfigChangeAt,
    lastScalingAt: version,
  };
}

/**
 * Seals the current value of every secret source the run spec names into it (`sealed_secrets`),
 * so the agent can open it at launch; a source the store does not have is refused, at
 * `/secrets/<name>/source`, before anything is written.
 */
function sealSecrets(runSpec: registryV1RunSpec.RunSpec, sealedSecret: (source: string) => string | undefined): registryV1RunSpec.RunSpec {
  for (const [name, source] of Object.entries(runSpec.secrets)) {
    const sealed = sealedSecret(source);
    if (sealed === undefined) {
      throw invalidObject([{ path: `/secrets/${name}/source`, errors: [`secret "${source}" does not exist: store it first (gantry secret put ${source})`] }]);
    }
    runSpec.sealedSecrets[source] = sealed;
  }
  return runSpec;
}
