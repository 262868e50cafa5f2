import { randomUUID } from "node:crypto";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { registryV1App } from "@gantry/proto";
import { isUnder } from "../domain/index.ts";
import { renderGroup } from "./group-tree.ts";
import { matchesLabelSelector, parseLabelSelector } from "./label-selector.ts";
import type { DeploymentOutcome, RegistryProjection } from "./registry.projection.ts";
import type { StoredRunSpec } from "./registry-state.ts";
import { notFound, requestId, requestVersion } from "./request-checks.ts";
import type { VersionHistory } from "./version-history.ts";

/** Filters of ListApps (all optional; empty = no filter). */
export interface AppFilters {
  id?: string;
  cmd?: string;
  label?: string;
  group?: string;
}

/**
 * The registry's read side over the projection: current and past versions of apps, pods and
 * groups, and running deployments. Ids in requests are checked (InvalidArgument) and unknown
 * ones answered with Marathon's NotFound messages.
 */
export class RegistryQueries {
  private readonly projection: RegistryProjection;
  /** Makes versions unique to this process: a replica's count of changes means nothing to another. */
  private readonly nonce = randomUUID().slice(0, 8);

  constructor(projection: RegistryProjection) {
    this.projection = projection;
  }

  /**
   * The version of everything these queries answer from, unique to this process: equal versions
   * mean nothing changed in between (ListApps answers "unchanged" to a caller holding it).
   */
  version(): string {
    return `${this.nonce}:${this.projection.revision()}`;
  }

  getApp(rawId: string): StoredRunSpec {
    return this.live("app", rawId).current;
  }

  /** Apps matching every given filter, ordered by id. InvalidArgument for a malformed label selector. */
  listApps(filters: AppFilters): StoredRunSpec[] {
    const selector = filters.label ? parseLabelSelector(filters.label) : undefined;
    const group = filters.group ? requestId(filters.group, "group") : undefined;
    return [...this.projection.state().apps.values()]
      .filter((a) => !filters.id || a.id.includes(filters.id))
      .filter((a) => !filters.cmd || (typeof a.definition.cmd === "string" && a.definition.cmd.includes(filters.cmd)))
      .filter((a) => !group || isUnder(a.id, group))
      .filter((a) => !selector || matchesLabelSelector(selector, (a.definition.labels ?? {}) as Record<string, string>))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  appVersions(rawId: string): string[] {
    return this.live("app", rawId).history.versions();
  }

  appVersion(rawId: string, rawVersion: string): StoredRunSpec {
    return this.pastVersion("app", rawId, rawVersion);
  }

  getPod(rawId: string): StoredRunSpec {
    return this.live("pod", rawId).current;
  }

  listPods(): StoredRunSpec[] {
    return [...this.projection.state().pods.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  podVersions(rawId: string): string[] {
    return this.live("pod", rawId).history.versions();
  }

  podVersion(rawId: string, rawVersion: string): StoredRunSpec {
    return this.pastVersion("pod", rawId, rawVersion);
  }

  /** Marathon's group JSON of a group now (`/` or empty = the root). */
  getGroup(rawId: string): JsonObject {
    const id = requestId(rawId || "/", "group");
    const group = renderGroup(this.projection.state(), id);
    if (!group) throw notFound.group(id);
    return group;
  }

  groupVersions(rawId: string): string[] {
    const id = requestId(rawId || "/", "group");
    if (!this.projection.state().groups.has(id)) throw notFound.group(id);
    return groupVersions(this.projection, id);
  }

  groupVersion(rawId: string, rawVersion: string): JsonObject {
    const id = requestId(rawId || "/", "group");
    const version = requestVersion(rawVersion);
    if (!version || !groupVersions(this.projection, id).includes(version)) throw notFound.version("Group", id, rawVersion);
    const group = renderGroup(this.projection.stateAt(version), id);
    if (!group) throw notFound.version("Group", id, rawVersion);
    return group;
  }

  /** Deployments planned and neither cancelled nor finished, with the step the scheduler is on. */
  listDeployments(): registryV1App.Deployment[] {
    return this.projection.running().map(({ deployment, currentStep }) => withProgress(deployment, currentStep));
  }

  /** A deployment, running or ended, or undefined when never planned. */
  findDeployment(id: string): registryV1App.Deployment | undefined {
    return this.projection.outcome(id)?.deployment;
  }

  /** One deployment, running or ended, with how it ended; NotFound when never planned. */
  getDeployment(id: string): { deployment: registryV1App.Deployment; outcome: DeploymentOutcome } {
    const found = this.projection.outcome(id);
    if (!found) throw notFound.deployment(id);
    return { deployment: withProgress(found.deployment, found.currentStep), outcome: found.outcome };
  }

  /** The history of app/pod `rawId` and its current version; NotFound when it does not exist now. */
  private live(kind: RunSpecKind, rawId: string): { id: string; history: VersionHistory<StoredRunSpec>; current: StoredRunSpec } {
    const id = requestId(rawId, kind);
    const history = (kind === "app" ? this.projection.apps : this.projection.pods).get(id);
    const current = history?.current();
    if (!history || !current) throw notFound[kind](id);
    return { id, history, current };
  }

  /** Version `rawVersion` of a live app/pod; NotFound (`App '/x' does not exist in version v`) when it had none then. */
  private pastVersion(kind: RunSpecKind, rawId: string, rawVersion: string): StoredRunSpec {
    const { id, history } = this.live(kind, rawId);
    const version = requestVersion(rawVersion);
    const found = version && history.versions().includes(version) ? history.exactly(version) : undefined;
    if (!found) throw notFound.version(kind === "app" ? "App" : "Pod", id, rawVersion);
    return found;
  }
}

/** The run-spec kinds the queries serve alike. */
type RunSpecKind = "app" | "pod";

/**
 * The root versions at which group `id` existed (Marathon lists a group's versions from the root
 * group's), newest first. The root has every root version.
 */
export function groupVersions(projection: RegistryProjection, id: string): string[] {
  const roots = projection.rootVersions();
  if (id === "/") return roots;
  const h = projection.groups.get(id);
  if (!h) return [];
  return roots.filter((v) => h.at(v) !== undefined);
}

/** A plan with the step the scheduler is on: its number, the total, and its actions. */
function withProgress(deployment: registryV1App.Deployment, currentStep: number): registryV1App.Deployment {
  return create(registryV1App.DeploymentSchema, {
    ...deployment,
    currentStep,
    totalSteps: deployment.steps.length,
    currentActions: currentStep > 0 ? (deployment.steps[currentStep - 1]?.actions ?? []) : [],
  });
}
