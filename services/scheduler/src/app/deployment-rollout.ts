import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment } from "@gantry/proto";
import { deploymentOutcome, stepUnderWay, type ActiveDeployment, type Instance, type StepScope } from "../domain/index.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";

/**
 * Moves every running deployment on, in one transaction on their `rollout-<id>` streams: the
 * first step is announced as under way (DeploymentStepStarted 1); a step whose apps and pods all
 * reached their target is recorded (DeploymentStepSucceeded) and the next one starts, its run
 * specs due for a pass now (they were held back until then); a deployment whose every app and
 * pod reached its target ends (its remaining steps recorded, then DeploymentSucceeded).
 */
export async function advanceDeployments(ctx: SchedulerContext): Promise<void> {
  const { state, ports } = ctx;
  const batches: StreamBatch[] = [];
  const demands = new Map([...state.runSpecs].map(([id, k]) => [id, k.demand]));
  const instancesOf = (scope: StepScope) => liveInstancesOf(ctx, [...scope.affectedApps, ...scope.affectedPods]);
  let stepStarted = false;
  for (const deployment of state.deployments.values()) {
    const outcome = deploymentOutcome(deployment, demands, instancesOf(deployment));
    const events: OutgoingEvent[] = [];
    if (outcome.state === "succeeded") {
      events.push(...stepEvents(deployment, deployment.steps.length + 1));
      events.push(event(deployment, eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: deployment.id }));
    } else if (outcome.state === "failed") {
      events.push(event(deployment, eventsV1Deployment.DeploymentFailedSchema, { deploymentId: deployment.id, reason: outcome.reason }));
    } else {
      const step = stepUnderWay(deployment, demands, instancesOf);
      events.push(...stepEvents(deployment, step));
      if (step > deployment.currentStep) {
        stepStarted = true;
        for (const id of scopeIds(deployment.steps[step - 1])) state.dirty.add(id);
      }
    }
    if (events.length === 0) continue;
    const streamId = `rollout-${deployment.id}`;
    batches.push({ streamId, expectedVersion: state.versionOf(streamId), events });
    if (outcome.state !== "running") ports.logger.info({ deployment: deployment.id, outcome: outcome.state, ...(outcome.state === "failed" ? { reason: outcome.reason } : {}) }, "deployment finished");
  }
  if (batches.length === 0) return;
  await ctx.append(batches);
  if (stepStarted) ctx.reconcileSoon();
}

/**
 * The events that take a deployment from the step it announced to `step` (1-based; past the
 * last one: every step done): each step between is recorded done, then the next one started.
 */
function stepEvents(deployment: ActiveDeployment, step: number): OutgoingEvent[] {
  const events: OutgoingEvent[] = [];
  const total = deployment.steps.length;
  let current = deployment.currentStep;
  if (current === 0 && total > 0) events.push(event(deployment, eventsV1Deployment.DeploymentStepStartedSchema, { deploymentId: deployment.id, step: (current = 1) }));
  while (current > 0 && current < Math.min(step, total + 1)) {
    events.push(event(deployment, eventsV1Deployment.DeploymentStepSucceededSchema, { deploymentId: deployment.id, step: current }));
    if (current === total) break;
    events.push(event(deployment, eventsV1Deployment.DeploymentStepStartedSchema, { deploymentId: deployment.id, step: ++current }));
  }
  return events;
}

function event<S extends Parameters<typeof create>[0]>(deployment: ActiveDeployment, schema: S, init: Parameters<typeof create<S>>[1]): OutgoingEvent {
  return { schema, message: create(schema, init), correlationId: deployment.id } as OutgoingEvent;
}

function scopeIds(scope: StepScope | undefined): string[] {
  return scope ? [...scope.affectedApps, ...scope.affectedPods] : [];
}

function* liveInstancesOf(ctx: SchedulerContext, appIds: readonly string[]): Iterable<Instance> {
  for (const appId of appIds) yield* ctx.state.instancesOf(appId);
}
