/**
 * The scheduler core over in-memory ports, for unit tests: an in-memory log, the command batches
 * sent, a settable clock, and builders for the events and reports the scheduler takes.
 */
import assert from "node:assert/strict";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { agentV1, eventsV1App, eventsV1Deployment, registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import { createLogger, FencedOutError, type RecordedEvent } from "@gantry/platform";
import { Scheduler, type SchedulerSettings } from "./scheduler.ts";
import type { SchedulerPorts, StreamBatch } from "./ports.ts";

export const FENCE = { lease: "scheduler", epoch: 7n };

/**
 * A scheduler over in-memory ports: an in-memory log that records every appended event (so a
 * second scheduler can fold it, as a standby does), and the command batches it sends.
 */
export function harness(options: { log?: RecordedEvent[]; lead?: boolean; settings?: Partial<SchedulerSettings> } = {}) {
  const log = options.log ?? [];
  const appended: { streamId: string; expectedVersion: number; types: string[] }[][] = [];
  const sent: { agentId: string; commands: agentV1.AgentCommands }[] = [];
  let clock = 1_000_000;
  let ids = 0;
  let fenced = false;
  let deposed = 0;
  const ports: SchedulerPorts = {
    events: {
      async appendBatch(batches: StreamBatch[], fence) {
        assert.deepEqual(fence, FENCE, "every append is fenced by the term");
        if (fenced) throw new FencedOutError(fence);
        appended.push(batches.map((b) => ({ streamId: b.streamId, expectedVersion: b.expectedVersion, types: b.events.map((e) => e.schema.name) })));
        const recordedAt = new Date(clock);
        const payloads = batches.map((b) => b.events.map((e) => toJson(e.schema, e.message) as JsonObject));
        batches.forEach((b, bi) => {
          b.events.forEach((e, i) => {
            log.push({
              globalPosition: BigInt(log.length + 1),
              transactionId: BigInt(log.length + 1),
              streamId: b.streamId,
              streamType: b.streamId.slice(0, b.streamId.indexOf("-")),
              streamVersion: b.expectedVersion + i + 1,
              type: e.schema.name,
              schemaVersion: 1,
              data: payloads[bi]![i]!,
              metadata: {},
              recordedAt,
            });
          });
        });
        return { recordedAt, payloads };
      },
    },
    streams: { readStream: async (streamId, o = {}) => log.filter((e) => e.streamId === streamId && e.streamVersion >= (o.fromVersion ?? 1)) },
    commands: { send: (agentId, commands) => void sent.push({ agentId, commands }) },
    logger: createLogger("scheduler-test", { level: "silent" }),
    now: () => clock,
    newId: () => `id${++ids}`,
  };
  const scheduler = new Scheduler(ports, { heartbeatIntervalSeconds: 2, maxHeartbeatsPerSecond: 250, missedHeartbeatsBeforeLost: 5, relaunchAfterSeconds: 10, placement: { scoring: "binpack", reserveGpuAgents: true }, ...options.settings });
  const begin = () => scheduler.beginTerm({ epoch: FENCE.epoch, fence: FENCE, logId: "log-1" }, () => deposed++);
  const ready = options.lead === false ? Promise.resolve() : begin();
  const settle = () => scheduler.serial(() => undefined).then(() => scheduler.serial(() => undefined));
  return {
    scheduler,
    appended,
    sent,
    log,
    settle,
    ready,
    begin,
    depose: () => void (fenced = true),
    deposedCount: () => deposed,
    tick: (ms: number) => (clock += ms),
    instances: () => [...scheduler.state.instances.values()],
  };
}

export const at = (streamId: string, streamVersion: number, type: string, data: JsonObject): RecordedEvent => ({
  globalPosition: 0n,
  transactionId: 0n,
  streamId,
  streamType: streamId.slice(0, streamId.indexOf("-")),
  streamVersion,
  type,
  schemaVersion: 1,
  data,
  metadata: {},
  recordedAt: new Date(),
});

/** The registry's RunSpec of a one-container app (what the scheduler reads). */
export function runSpec(id: string, instances: number, version: string, configVersion: string, constraints: { field: string; operator: registryV1RunSpec.ConstraintOperator; value?: string }[] = []) {
  return create(registryV1RunSpec.RunSpecSchema, {
    id,
    kind: registryV1RunSpec.RunSpecKind.APP,
    version,
    configVersion,
    instances,
    containers: [{ name: id.split("/").pop()!, command: { kind: { case: "shell", value: "sleep 1000" } }, resources: { cpus: 1, mem: 128 }, killGracePeriodSeconds: 3 }],
    placement: { acceptedResourceRoles: ["*"], constraints },
    backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
    killSelection: registryV1RunSpec.KillSelection.YOUNGEST_FIRST,
  });
}

export function appCreated(id: string, instances: number, version = "2026-01-01T00:00:00.000Z", constraints: Parameters<typeof runSpec>[4] = []) {
  return appCreatedOf(runSpec(id, instances, version, version, constraints));
}

/** The AppCreated of deployment `d1` that carries `spec` (a `runSpec` changed by the test). */
export function appCreatedOf(spec: registryV1RunSpec.RunSpec) {
  const app = { id: spec.id, version: spec.version, lastConfigChangeAt: spec.configVersion, runSpec: spec };
  return at(`app-${spec.id}`, 1, "AppCreated", toJson(eventsV1App.AppCreatedSchema, create(eventsV1App.AppCreatedSchema, { app, deploymentId: "d1" })) as JsonObject);
}

export function appUpdated(id: string, instances: number, streamVersion: number, version: string, lastConfigChangeAt: string) {
  return at(`app-${id}`, streamVersion, "AppUpdated", toJson(eventsV1App.AppUpdatedSchema, create(eventsV1App.AppUpdatedSchema, { app: { id, version, lastConfigChangeAt, runSpec: runSpec(id, instances, version, lastConfigChangeAt) }, deploymentId: `d${streamVersion}` })) as JsonObject);
}

/** The registry's plan of deployment `id`: one step that starts `appId`. */
export function deploymentPlanned(id: string, appId: string) {
  return deploymentPlannedInSteps(id, [[appId]]);
}

/** The registry's plan of deployment `id`: steps in order, each starting its apps. */
export function deploymentPlannedInSteps(id: string, steps: string[][]) {
  const deployment = { id, affectedApps: steps.flat(), totalSteps: steps.length, steps: steps.map((apps) => ({ actions: apps.map((app) => ({ action: "StartApplication", app })) })) };
  return at(`deployment-${id}`, 1, "DeploymentPlanned", toJson(eventsV1Deployment.DeploymentPlannedSchema, create(eventsV1Deployment.DeploymentPlannedSchema, { deployment })) as JsonObject);
}

/** The task ids of the launches in a command batch. */
export const launchedTasks = (commands: agentV1.AgentCommands) => commands.commands.flatMap((c) => (c.command.case === "launchInstance" ? c.command.value.taskIds : []));

export const status = (taskId: string, state = schedulerV1Model.TaskState.RUNNING, exitCode = -1) => create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state, exitCode });

export const registration = (agentId: string, cpus: number) =>
  create(agentV1.AgentRegistrationSchema, { agentId, hostname: `${agentId}.local`, resources: { cpus, mem: 4096, disk: 1000 } });

/** A TASK_RUNNING report carrying a health verdict, as an agent sends when its checks of the task change their verdict. */
export const healthStatus = (taskId: string, healthy: boolean, message = healthy ? "HTTP 200" : "HTTP 503", timestamp = "2026-01-01T00:01:00.000Z") =>
  create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING, exitCode: -1, healthy, message, timestamp });

let sequence = 0n;
export const report = (h: ReturnType<typeof harness>, taskId: string, state = schedulerV1Model.TaskState.RUNNING, exitCode = -1) => h.scheduler.onTaskStatus(status(taskId, state, exitCode), ++sequence);
export const healthReport = (h: ReturnType<typeof harness>, taskId: string, healthy: boolean, message?: string) => h.scheduler.onTaskStatus(healthStatus(taskId, healthy, message), ++sequence);

/** A TASK_RUNNING report saying the task's readiness checks all passed. */
export const readyReport = (h: ReturnType<typeof harness>, taskId: string) =>
  h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING, exitCode: -1, ready: true, message: "ready: HTTP /ready on port 31000" }), ++sequence);
