import type { JsonObject } from "@bufbuild/protobuf";
import type { registryV1App, registryV1RunSpec } from "@gantry/proto";
import { appRunSpec, podRunSpec, type AppDefinition, type PodDefinition } from "../domain/index.ts";

/**
 * One stored version of an app or pod: the full normalised Marathon definition INCLUDING `id`
 * and `version` (what travels in AppVersion/PodVersion.definition), Marathon's versionInfo, and
 * the typed RunSpec built from that definition (what the scheduler reads). `runSpec` is absent
 * only for a logged definition that is not a normalised one (never for a version this registry
 * validated and wrote).
 */
export interface StoredRunSpec {
  id: string;
  version: string;
  definition: JsonObject;
  lastConfigChangeAt: string;
  lastScalingAt: string;
  runSpec?: registryV1RunSpec.RunSpec;
}

/** A stored version before its run spec is attached. */
export type StoredDefinition = Omit<StoredRunSpec, "runSpec">;

/** One version of a group's own attributes (its members live in their own streams). */
export interface GroupRecord {
  id: string;
  version: string;
  dependencies: string[];
}

/** A deployment that is planned and neither cancelled nor finished: what locks its run specs. */
export interface RunningDeployment {
  deployment: registryV1App.Deployment;
  /** 1-based step the scheduler reported starting; 0 before the first. */
  currentStep: number;
}

/**
 * The registry's current desired state as the deciders see it: live apps, pods and explicit
 * groups by id, the root version, running deployments, and each stream's version (the
 * optimistic-concurrency fence of the next append). Read-only: a decision never mutates it.
 */
export interface RegistryState {
  apps: ReadonlyMap<string, StoredRunSpec>;
  pods: ReadonlyMap<string, StoredRunSpec>;
  groups: ReadonlyMap<string, GroupRecord>;
  /** Version of the newest change; undefined for an empty log. */
  rootVersion: string | undefined;
  running: readonly RunningDeployment[];
  /** Secrets by path: their sealed value (never a value in clear) and when it was stored. */
  secrets: ReadonlyMap<string, { sealed: string; updatedAt: string }>;
  streamVersion(streamId: string): number;
}

/** Stream ids, one per aggregate: `app-/shop/web`, `pod-/x`, `group-/shop`, `deployment-<uuid>`. */
export const streams = {
  app: (id: string) => `app-${id}`,
  pod: (id: string) => `pod-${id}`,
  group: (id: string) => `group-${id}`,
  deployment: (id: string) => `deployment-${id}`,
} as const;

/**
 * Specs of stored versions, made once each (frozen: a command edits its desired state by
 * replacing specs, never in place). The same object for an unchanged app lets a change skip it
 * at once (`decideRunSpecs`): a create among 1,000 apps must not copy and compare all of them.
 */
const specs = new WeakMap<StoredDefinition, object>();

function specOf(stored: StoredDefinition): object {
  let spec = specs.get(stored);
  if (!spec) {
    const { version: _version, ...definition } = stored.definition;
    specs.set(stored, (spec = Object.freeze(definition)));
  }
  return spec;
}

/** The definition without `version`, as the validators and the planner compare it. */
export function appSpecOf(stored: StoredDefinition): AppDefinition {
  return specOf(stored) as unknown as AppDefinition;
}

/** The pod definition without `version`. */
export function podSpecOf(stored: StoredDefinition): PodDefinition {
  return specOf(stored) as unknown as PodDefinition;
}

/** The RunSpec of a stored app version, from its normalised definition. Throws only for a definition that is not one. */
export function appRunSpecOf(stored: StoredDefinition): registryV1RunSpec.RunSpec {
  return appRunSpec(appSpecOf(stored), stored);
}

/** The RunSpec of a stored pod version, from its normalised definition. Throws only for a definition that is not one. */
export function podRunSpecOf(stored: StoredDefinition): registryV1RunSpec.RunSpec {
  return podRunSpec(podSpecOf(stored), stored);
}

/** A JSON-clean copy (undefined fields dropped), as a definition looks once it went through the log. */
export function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
