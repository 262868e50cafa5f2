import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment } from "@gantry/proto";
import { deploymentOutcome, stepUnderWay, type ActiveDeployment, type Instance, type StepScope } from "../domain/index.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";

/** What moving the running deployments on writes, and whether a step started (its run specs are then due for a pass). */
export interface DeploymentProgress {
  batches: StreamBatch[];
  stepStarted: boolean;
}

/** Live instances of one app or pod, as a decision sees them. */
export type InstancesOf = (appId: string) => Iterable<Instance>;

/**
 * How every running deployment moves on, on their `rollout-<id>` streams, judged on the
 * instances `instancesOf` gives (default: the state's; a decision passes the instances as its
 * own events will leave them, so the progress is written in the SAME transaction as the
 * decision that made it): the first step is announced as under way (DeploymentStepStarted 1);
 * a step whose apps and pods all reached their target is recorded (DeploymentStepSucceeded) and
 * the next one starts, its run specs marked due for a pass (they were held back until then); a
 * deployment whose every app and pod reached its target ends (its remaining steps recorded, then
 * DeploymentSucceeded). Writes nothing itself.
 */
export function deploymentProgress(ctx: SchedulerContext, instancesOf: InstancesOf = (appId) => ctx.state.instancesOf(appId)): DeploymentProgress {
  const { state, ports } = ctx;
  const batches: StreamBatch[] = [];
  // Looked up, not copied: this runs on every pass and status batch, with thousands of run specs.
  const demands = { get: (id: string) => state.runSpecs.get(id)?.demand };
  const scopeInstances = (scope: StepScope) => liveInstancesOf(instancesOf, [...scope.affectedApps, ...scope.affectedPods]);
  let stepStarted = false;
  for (const deployment of state.deployments.values()) {
    const outcome = deploymentOutcome(deployment, demands, scopeInstances(deployment));
    const events: OutgoingEvent[] = [];
    if (outcome.state === "succeeded") {
      events.push(...stepEvents(deployment, deployment.steps.length + 1));
      events.push(event(deployment, eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: deployment.id }));
    } else if (outcome.state === "failed") {
      events.push(event(deployment, eventsV1Deployment.DeploymentFailedSchema, { deploymentId: deployment.id, reason: outcome.reason }));
    } else {
      const step = stepUnderWay(deployment, demands, scopeInstances);
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
  return { batches, stepStarted };
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

function* liveInstancesOf(instancesOf: InstancesOf, appIds: readonly string[]): Iterable<Instance> {
  for (const appId of appIds) yield* instancesOf(appId);
}
