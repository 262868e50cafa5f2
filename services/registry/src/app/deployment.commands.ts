import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment } from "@gantry/proto";
import { eventOf } from "@gantry/platform";
import type { DeploymentRef } from "./app.commands.ts";
import { decideChange } from "./change.decider.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { desiredFrom } from "./group-tree.ts";
import type { RegistryProjection } from "./registry.projection.ts";
import { appSpecOf, podSpecOf, streams } from "./registry-state.ts";
import { notFound } from "./request-checks.ts";

/** `DELETE /v2/deployments/{id}`: cancel a running deployment, with or without a rollback. */
export class DeploymentCommands {
  private readonly runner: ChangeRunner;
  private readonly projection: RegistryProjection;

  constructor(runner: ChangeRunner, projection: RegistryProjection) {
    this.runner = runner;
    this.projection = projection;
  }

  /**
   * Cancels running deployment `id`. With `force`: only DeploymentCancelled (tasks may be left
   * mixed; returns undefined). Otherwise: one transaction that cancels it and plans a rollback,
   * a forced deployment that puts every app and pod it affects back as it was just before it
   * (removing those it created). NotFound `DeploymentPlan <id> does not exist` when not running.
   */
  async cancel(id: string, force: boolean, ctx: CommandContext): Promise<DeploymentRef | undefined> {
    const out = await this.runner.run(ctx, (state, env) => {
      const running = state.running.find((r) => r.deployment.id === id);
      if (!running) throw notFound.deployment(id);
      if (force) {
        const cancelled = eventOf(eventsV1Deployment.DeploymentCancelledSchema, create(eventsV1Deployment.DeploymentCancelledSchema, { deploymentId: id, reason: "cancelled" }));
        const streamId = streams.deployment(id);
        return { decision: { appends: [{ streamId, expectedVersion: state.streamVersion(streamId), events: [cancelled] }] }, rollback: undefined };
      }
      const before = this.projection.rootVersions().find((v) => v < running.deployment.version);
      const past = before === undefined ? undefined : this.projection.stateAt(before);
      const desired = desiredFrom(state);
      const restoredConfig = new Map<string, string>();
      for (const appId of running.deployment.affectedApps) {
        const old = past?.apps.get(appId);
        if (old) desired.apps.set(appId, appSpecOf(old));
        else desired.apps.delete(appId);
        if (old) restoredConfig.set(appId, old.lastConfigChangeAt);
      }
      for (const podId of running.deployment.affectedPods) {
        const old = past?.pods.get(podId);
        if (old) desired.pods.set(podId, podSpecOf(old));
        else desired.pods.delete(podId);
        if (old) restoredConfig.set(podId, old.lastConfigChangeAt);
      }
      // The old configuration comes back under its own version: instances still running it stay.
      const rollback = decideChange(state, desired, { ...env, force: true, cancel: [id], reason: "rollback", restoredConfig });
      return { decision: rollback, rollback };
    });
    if (!out.rollback) return undefined;
    return { deploymentId: out.rollback.deployment.id, version: out.rollback.version };
  }
}
