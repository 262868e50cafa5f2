import { test } from "node:test";
import assert from "node:assert/strict";
import type { RelayedEvent } from "@gantry/platform";
import { MarathonEventTranslator, type EventContext, type LightPlan } from "./marathon-events.ts";

let position = 0;
function relayed(type: string, data: Record<string, unknown>): RelayedEvent {
  return { globalPosition: String(++position), streamId: "x-1", streamVersion: 1, type, schemaVersion: 1, data: data as RelayedEvent["data"], metadata: {}, recordedAt: "2026-11-30T00:00:00.000Z" };
}

const PLAN: LightPlan = { id: "d1", version: "2026-11-30T00:00:00.000Z", steps: [{ actions: [{ action: "StartApplication", app: "/web" }] }, { actions: [{ action: "StopApplication", app: "/old" }] }] };

function context(over: Partial<EventContext> = {}): EventContext & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    async task(appId, taskId) {
      lookups.push(`task ${taskId}`);
      return taskId === "web.known" ? { appId, instanceId: "web.instance-k", agentId: "a9", host: "h9", ports: [31009], version: "v0" } : undefined;
    },
    async plan(id) {
      lookups.push(`plan ${id}`);
      return id === "d1" ? PLAN : undefined;
    },
    async groups() {
      lookups.push("groups");
      return { original: { id: "/", apps: [] }, target: { id: "/", apps: [{ id: "/web" }] } };
    },
    ...over,
  };
}

test("a task report is a status_update_event with the host, ports and version of its placement, and an instance_changed_event", async () => {
  const t = new MarathonEventTranslator(context(), { fullPlans: false });
  const placed = await t.translate(relayed("InstancePlaced", { instanceId: "web.instance-1", taskId: "web.1", taskIds: ["web.1"], appId: "/web", appVersion: "v1", agentId: "a1", host: "h1", ports: [{ hostPort: 31000 }] }));
  assert.deepEqual(placed.map((e) => e.eventType), ["instance_changed_event"]);
  const [status, changed] = await t.translate(relayed("TaskStatusChanged", { instanceId: "web.instance-1", taskId: "web.1", appId: "/web", agentId: "a1", state: "TASK_STATE_RUNNING", message: "", timestamp: "2026-11-30T00:00:01.000Z" }));
  assert.deepEqual(status, {
    eventType: "status_update_event",
    payload: { slaveId: "a1", taskId: "web.1", taskStatus: "TASK_RUNNING", message: "", appId: "/web", host: "h1", ipAddresses: [], ports: [31000], version: "v1", eventType: "status_update_event", timestamp: "2026-11-30T00:00:01.000Z" },
  });
  assert.equal(changed?.payload.condition, "Running");
  assert.equal(changed?.payload.runSpecId, "/web");
});

test("a report of a task placed before the feed began is completed from the scheduler", async () => {
  const ctx = context();
  const t = new MarathonEventTranslator(ctx, { fullPlans: false });
  const [status] = await t.translate(relayed("TaskStatusChanged", { instanceId: "web.instance-k", taskId: "web.known", appId: "/web", agentId: "a9", state: "TASK_STATE_KILLED" }));
  assert.deepEqual([status?.payload.host, status?.payload.ports, status?.payload.version], ["h9", [31009], "v0"]);
  assert.deepEqual(ctx.lookups, ["task web.known"]);
});

test("a task killed for its health is also one unhealthy_instance_kill_event; a failing verdict is a failed_health_check_event too", async () => {
  const t = new MarathonEventTranslator(context(), { fullPlans: false });
  const kill = { instanceId: "web.instance-1", taskId: "web.1", appId: "/web", agentId: "a1", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", message: "unhealthy: HTTP 500" };
  const killing = await t.translate(relayed("TaskStatusChanged", { ...kill, state: "TASK_STATE_KILLING" }));
  const killed = await t.translate(relayed("TaskStatusChanged", { ...kill, state: "TASK_STATE_KILLED" }));
  assert.deepEqual(killing.map((e) => e.eventType), ["status_update_event", "instance_changed_event", "unhealthy_instance_kill_event"]);
  assert.deepEqual(killed.map((e) => e.eventType), ["status_update_event", "instance_changed_event"], "once per instance");
  const health = await t.translate(relayed("TaskHealthChanged", { instanceId: "web.instance-2", taskId: "web.2", appId: "/web", healthy: false, message: "HTTP 500" }));
  assert.deepEqual(health.map((e) => [e.eventType, e.payload.alive ?? e.payload.message]), [["health_status_changed_event", false], ["failed_health_check_event", "HTTP 500"]]);
});

test("the rollout is deployment_info per step, deployment_step_success, app_terminated_event for a stopped app, then deployment_success and group_change_success", async () => {
  const t = new MarathonEventTranslator(context(), { fullPlans: false });
  assert.deepEqual(await t.translate(relayed("DeploymentPlanned", { deployment: { id: "d2", version: "v9", steps: [{ actions: [{ action: "StopApplication", app: "/old" }] }] } })), []);
  const [info] = await t.translate(relayed("DeploymentStepStarted", { deploymentId: "d2", step: 1 }));
  assert.deepEqual(info?.payload.plan, { id: "d2", version: "v9", steps: [{ actions: [{ action: "StopApplication", app: "/old" }] }] });
  assert.deepEqual(info?.payload.currentStep, { actions: [{ action: "StopApplication", app: "/old" }] });
  const done = await t.translate(relayed("DeploymentStepSucceeded", { deploymentId: "d2", step: 1 }));
  assert.deepEqual(done.map((e) => e.eventType), ["deployment_step_success", "app_terminated_event"]);
  assert.equal(done[1]?.payload.appId, "/old");
  const end = await t.translate(relayed("DeploymentSucceeded", { deploymentId: "d2" }));
  assert.deepEqual(end.map((e) => [e.eventType, e.payload.id ?? e.payload.groupId]), [["deployment_success", "d2"], ["group_change_success", "/"]]);
});

test("a plan planned before the feed began is looked up once; full plans carry the original and target groups; a cancelled deployment is deployment_failed", async () => {
  const ctx = context();
  const t = new MarathonEventTranslator(ctx, { fullPlans: true });
  const [info] = await t.translate(relayed("DeploymentStepStarted", { deploymentId: "d1", step: 2 }));
  assert.deepEqual(info?.payload.currentStep, PLAN.steps[1]);
  assert.deepEqual((info?.payload.plan as { target: unknown }).target, { id: "/", apps: [{ id: "/web" }] });
  const failed = await t.translate(relayed("DeploymentCancelled", { deploymentId: "d1", reason: "rollback" }));
  assert.deepEqual(failed.map((e) => e.eventType), ["deployment_failed", "group_change_failed"]);
  assert.deepEqual(ctx.lookups, ["plan d1", "groups", "groups"]);
});

test("app changes are api_post_event with the definition; agent events are not Marathon's", async () => {
  const t = new MarathonEventTranslator(context(), { fullPlans: false });
  const [post] = await t.translate(relayed("AppCreated", { app: { id: "/web", version: "v1", definition: { cmd: "sleep 1" } } }));
  assert.deepEqual([post?.eventType, post?.payload.uri, post?.payload.appDefinition], ["api_post_event", "/v2/apps/web", { cmd: "sleep 1", id: "/web", version: "v1" }]);
  assert.deepEqual(await t.translate(relayed("AgentRegistered", { agentId: "a1" })), []);
});
