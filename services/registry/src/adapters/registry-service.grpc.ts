import { registryV1 } from "@gantry/proto";
import { bindService, injectTraceparent, isAllowed, type AccessAudit, type CallContext, type ServiceBinding } from "@gantry/platform";
import type { AppCommands, DeploymentRef } from "../app/app.commands.ts";
import type { CommandContext } from "../app/change-runner.ts";
import type { DeploymentCommands } from "../app/deployment.commands.ts";
import type { KillAndScaleCommands } from "../app/kill-and-scale.commands.ts";
import type { GroupCommands } from "../app/group.commands.ts";
import type { PodCommands } from "../app/pod.commands.ts";
import type { RegistryQueries } from "../app/registry.queries.ts";
import type { StoredRunSpec } from "../app/registry-state.ts";
import { canonicalPath } from "../domain/index.ts";
import { appsAt, registryPermissions } from "./registry-permissions.ts";

/** What the gRPC service serves: the registry's commands and queries. */
export interface RegistryHandlers {
  apps: AppCommands;
  pods: PodCommands;
  groups: GroupCommands;
  deployments: DeploymentCommands;
  killAndScale: KillAndScaleCommands;
  queries: RegistryQueries;
}

function commandContext(ctx: CallContext): CommandContext {
  const { traceparent } = injectTraceparent();
  return { principal: ctx.principal.name, correlationId: ctx.correlationId, ...(traceparent ? { traceparent } : {}) };
}

/** AppVersion / PodVersion as lists carry them: the definition, without the RunSpec (lists are what clients poll). */
function listedVersionOf(s: StoredRunSpec) {
  return { id: s.id, version: s.version, definition: s.definition, lastConfigChangeAt: s.lastConfigChangeAt, lastScalingAt: s.lastScalingAt };
}

/** AppVersion / PodVersion as the contract carries them, with the version's RunSpec. */
function versionOf(s: StoredRunSpec) {
  return { ...listedVersionOf(s), runSpec: s.runSpec };
}

const DEPLOYMENT_STATES = {
  running: registryV1.DeploymentState.RUNNING,
  succeeded: registryV1.DeploymentState.SUCCEEDED,
  failed: registryV1.DeploymentState.FAILED,
  cancelled: registryV1.DeploymentState.CANCELLED,
} as const;

/** Whether the caller may read every one of these apps and pods (lists show only those). */
function mayRead(ctx: CallContext, ids: readonly string[]): boolean {
  return isAllowed(ctx.principal, ids.map((id) => appsAt("read", id)));
}

function logged(ctx: CallContext, ids: Record<string, unknown>, ref: DeploymentRef | undefined, msg: string): void {
  ctx.logger.info({ ...ids, deployment: ref?.deploymentId, version: ref?.version, correlationId: ctx.correlationId, principal: ctx.principal.name }, msg);
}

/**
 * `gantry.registry.v1.RegistryService`: every method authorised by its rule in
 * `registryPermissions` before it runs (lists show only what the caller may read), every change
 * logged with its app/pod/group, deployment and correlation ids.
 */
export function registryService(h: RegistryHandlers, audit?: AccessAudit): ServiceBinding {
  // A deployment is listed to those who may read everything it affects (its ids are theirs to see).
  const readableDeployments = (ctx: CallContext) => h.queries.listDeployments().filter((d) => mayRead(ctx, [...d.affectedApps, ...d.affectedPods]));
  return bindService(registryV1.RegistryService, {
    async createApp(request, ctx) {
      const change = await h.apps.create(request.definition ?? {}, request.force, commandContext(ctx));
      logged(ctx, { app: change.app.id }, change, "app created");
      return { app: versionOf(change.app), deploymentId: change.deploymentId };
    },
    async updateApp(request, ctx) {
      const change = await h.apps.update(request.id, request.definition ?? {}, { partial: request.partial, force: request.force }, commandContext(ctx));
      logged(ctx, { app: change.app.id, created: change.created, partial: request.partial }, change, change.created ? "app created" : "app updated");
      return { app: versionOf(change.app), deploymentId: change.deploymentId, created: change.created };
    },
    async updateApps(request, ctx) {
      const ref = await h.apps.updateMany(request.definitions, { partial: request.partial, force: request.force }, commandContext(ctx));
      logged(ctx, { apps: request.definitions.map((d) => d.id) }, ref, "apps updated");
      return { deployment: ref };
    },
    async getApp(request, ctx) {
      return { app: versionOf(h.queries.getApp(request.id)) };
    },
    async listApps(request, ctx) {
      // A caller who may read every app shares the versioned list; others get theirs, unversioned.
      const readsAll = isAllowed(ctx.principal, appsAt("read", "/"));
      const version = h.queries.version();
      if (readsAll && request.knownVersion !== "" && request.knownVersion === version) return { version, unchanged: true };
      const apps = h.queries.listApps(request).filter((a) => readsAll || mayRead(ctx, [a.id]));
      const deployments = request.withDeployments ? readableDeployments(ctx) : [];
      return { apps: apps.map(listedVersionOf), deployments, ...(readsAll ? { version } : {}) };
    },
    async listAppVersions(request, ctx) {
      return { versions: h.queries.appVersions(request.id) };
    },
    async getAppVersion(request, ctx) {
      return { app: versionOf(h.queries.appVersion(request.id, request.version)) };
    },
    async deleteApp(request, ctx) {
      const ref = await h.apps.delete(request.id, request.force, commandContext(ctx));
      logged(ctx, { app: request.id }, ref, "app deleted");
      return ref;
    },
    async restartApp(request, ctx) {
      const ref = await h.apps.restart(request.id, request.force, commandContext(ctx));
      logged(ctx, { app: request.id }, ref, "app restarted");
      return { deployment: ref };
    },

    async createPod(request, ctx) {
      const change = await h.pods.create(request.definition ?? {}, request.force, commandContext(ctx));
      logged(ctx, { pod: change.pod.id }, change, "pod created");
      return { pod: versionOf(change.pod), deploymentId: change.deploymentId };
    },
    async updatePod(request, ctx) {
      const change = await h.pods.update(request.id, request.definition ?? {}, request.force, commandContext(ctx));
      logged(ctx, { pod: change.pod.id, created: change.created }, change, change.created ? "pod created" : "pod updated");
      return { pod: versionOf(change.pod), deploymentId: change.deploymentId, created: change.created };
    },
    async getPod(request, ctx) {
      return { pod: versionOf(h.queries.getPod(request.id)) };
    },
    async listPods(_request, ctx) {
      return { pods: h.queries.listPods().filter((p) => mayRead(ctx, [p.id])).map(versionOf) };
    },
    async listPodVersions(request, ctx) {
      return { versions: h.queries.podVersions(request.id) };
    },
    async getPodVersion(request, ctx) {
      return { pod: versionOf(h.queries.podVersion(request.id, request.version)) };
    },
    async deletePod(request, ctx) {
      const ref = await h.pods.delete(request.id, request.force, commandContext(ctx));
      logged(ctx, { pod: request.id }, ref, "pod deleted");
      return { deployment: ref };
    },

    async getGroup(request, ctx) {
      return { group: h.queries.getGroup(request.id) };
    },
    async createGroup(request, ctx) {
      const change = await h.groups.create(request.definition ?? {}, request.parentId, request.force, commandContext(ctx));
      logged(ctx, { group: request.definition?.id, parent: request.parentId }, change.deployment, "group created");
      return { deployment: change.deployment };
    },
    async updateGroup(request, ctx) {
      const change = await h.groups.update(
        request.id,
        {
          ...(request.definition ? { definition: request.definition } : {}),
          ...(request.version ? { version: request.version } : {}),
          ...(request.scaleBy ? { scaleBy: request.scaleBy } : {}),
          force: request.force,
          dryRun: request.dryRun,
        },
        commandContext(ctx),
      );
      if (!request.dryRun) logged(ctx, { group: request.id, rollbackTo: request.version || undefined, scaleBy: request.scaleBy || undefined }, change.deployment, "group updated");
      return { ...(change.deployment ? { deployment: change.deployment } : {}), plan: change.plan };
    },
    async deleteGroup(request, ctx) {
      const change = await h.groups.delete(request.id, request.force, commandContext(ctx));
      logged(ctx, { group: request.id }, change.deployment, "group deleted");
      return { deployment: change.deployment };
    },
    async listGroupVersions(request, ctx) {
      return { versions: h.queries.groupVersions(request.id) };
    },
    async getGroupVersion(request, ctx) {
      return { group: h.queries.groupVersion(request.id, request.version) };
    },

    async listDeployments(_request, ctx) {
      return { deployments: readableDeployments(ctx) };
    },
    async getDeployment(request, ctx) {
      const { deployment, outcome } = h.queries.getDeployment(request.id);
      return { deployment, state: DEPLOYMENT_STATES[outcome.state], reason: "reason" in outcome ? outcome.reason : "" };
    },
    async killAndScale(request, ctx) {
      const ref = await h.killAndScale.killAndScale(request.runSpecs.map((r) => ({ id: canonicalPath(r.id), instanceIds: r.instanceIds })), request.force, commandContext(ctx));
      logged(ctx, { killed: request.runSpecs.map((r) => ({ id: r.id, instances: r.instanceIds })) }, ref, "instances killed with a scale down");
      return { deployment: ref };
    },
    async cancelDeployment(request, ctx) {
      const rollback = await h.deployments.cancel(request.id, request.force, commandContext(ctx));
      logged(ctx, { cancelled: request.id, force: request.force }, rollback, rollback ? "deployment cancelled and rolled back" : "deployment cancelled");
      return rollback ? { rollback } : {};
    },
  }, registryPermissions(h.queries), audit);
}
