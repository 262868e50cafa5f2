import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment, eventsV1Instance } from "@gantry/proto";
import {
  addResources,
  createPlacementStack,
  deploymentOutcome,
  reconcile,
  subtractResources,
  ZERO,
  type Instance,
  type ResourceAmount,
} from "../domain/index.ts";
import { CommandBatches, killCommand, launchCommand } from "./agent-commands.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";

const placement = createPlacementStack();

/**
 * The reconcile pass (leader only): compares desired apps with live instances, places the
 * missing ones on agents that fit and kills the unwanted ones, records the whole decision in ONE
 * transaction (InstancePlaced… and InstanceKillRequested…), then sends each agent one command
 * batch, and settles the deployments that reached their target. Nothing is sent before the
 * decision committed: an agent never runs what the log does not hold.
 */
export async function reconcileNow(ctx: SchedulerContext): Promise<void> {
  const { state, ports } = ctx;
  const now = ports.now();
  const plan = reconcile(state.apps, state.instances.values(), (appId) => (state.backoff.get(appId)?.notBefore ?? 0) <= now);
  const batches: StreamBatch[] = [];
  const commands = new CommandBatches();
  const pendingUse = new Map<string, ResourceAmount>();
  const free = (agentId: string) => subtractResources(state.free(agentId), pendingUse.get(agentId) ?? ZERO);
  let placed = 0;
  for (const { app, count } of plan.launches) {
    for (let i = 0; i < count; i++) {
      const decision = placement.select(state.agents.values(), { needs: app.resources, acceptedRoles: ["*"], free });
      if (!decision.agent) {
        ports.logger.info({ app: app.id, waiting: count - i, reasons: decision.counts }, "no agent fits; instances wait");
        break;
      }
      const agent = decision.agent;
      pendingUse.set(agent.agentId, addResources(pendingUse.get(agent.agentId) ?? ZERO, app.resources));
      const uuid = ports.newId();
      const prefix = app.id.replace(/^\//, "").replaceAll("/", "_");
      const inst: Instance = {
        instanceId: `${prefix}.instance-${uuid}`,
        taskId: `${prefix}.${uuid}`,
        appId: app.id,
        appVersion: app.version,
        agentId: agent.agentId,
        host: agent.hostname,
        resources: app.resources,
        state: "TASK_STAGING",
        message: "",
        exitCode: -1,
        updatedAt: now,
        killRequested: false,
      };
      placed++;
      batches.push({
        streamId: `instance-${inst.instanceId}`,
        expectedVersion: 0,
        events: [
          {
            schema: eventsV1Instance.InstancePlacedSchema,
            message: create(eventsV1Instance.InstancePlacedSchema, {
              instanceId: inst.instanceId,
              taskId: inst.taskId,
              appId: app.id,
              appVersion: app.version,
              agentId: agent.agentId,
              host: agent.hostname,
              resources: app.resources,
            }),
            ...ctx.originOf(app.id),
          },
        ],
      });
      commands.add(agent.agentId, launchCommand(app, inst));
    }
  }
  for (const { instance, reason } of plan.kills) {
    const streamId = `instance-${instance.instanceId}`;
    batches.push({
      streamId,
      expectedVersion: state.versionOf(streamId),
      events: [
        {
          schema: eventsV1Instance.InstanceKillRequestedSchema,
          message: create(eventsV1Instance.InstanceKillRequestedSchema, { instanceId: instance.instanceId, taskId: instance.taskId, appId: instance.appId, reason }),
          ...ctx.originOf(instance.appId),
        },
      ],
    });
    commands.add(instance.agentId, killCommand(ctx, instance));
  }
  if (batches.length > 0) {
    // One transaction for the whole decision: either every placement and kill is recorded or none is.
    await ctx.append(batches);
    commands.send(ctx);
    ports.logger.info({ placed, killed: plan.kills.length, agents: commands.agents }, "reconciled");
  }
  await settleDeployments(ctx);
}

/** Records the end of every deployment that reached its target (or cannot), in one transaction. */
async function settleDeployments(ctx: SchedulerContext): Promise<void> {
  const { state, ports } = ctx;
  const ends: StreamBatch[] = [];
  for (const deployment of state.deployments.values()) {
    const outcome = deploymentOutcome(deployment, state.apps, instancesOf(ctx, deployment.affectedApps));
    if (outcome.state === "running") continue;
    const event: OutgoingEvent =
      outcome.state === "succeeded"
        ? { schema: eventsV1Deployment.DeploymentSucceededSchema, message: create(eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: deployment.id }), correlationId: deployment.id }
        : { schema: eventsV1Deployment.DeploymentFailedSchema, message: create(eventsV1Deployment.DeploymentFailedSchema, { deploymentId: deployment.id, reason: outcome.reason }), correlationId: deployment.id };
    const streamId = `rollout-${deployment.id}`;
    ends.push({ streamId, expectedVersion: state.versionOf(streamId), events: [event] });
    ports.logger.info({ deployment: deployment.id, outcome: outcome.state, ...(outcome.state === "failed" ? { reason: outcome.reason } : {}) }, "deployment finished");
  }
  if (ends.length > 0) await ctx.append(ends);
}

function* instancesOf(ctx: SchedulerContext, appIds: readonly string[]): Iterable<Instance> {
  for (const appId of appIds) yield* ctx.state.instancesOf(appId);
}
