import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { RelayedEvent } from "@gantry/platform";

/** One event of Marathon's event bus: its `eventType` and payload (which carries `eventType` and `timestamp` too). */
export interface MarathonEvent {
  eventType: string;
  payload: JsonObject;
}

/** What a task looked like when placed: what status events carry besides the state. */
export interface PlacedTask {
  appId: string;
  instanceId: string;
  agentId: string;
  host: string;
  ports: number[];
  version: string;
}

/** Marathon's deployment plan JSON (light: without the `original` and `target` groups). */
export interface LightPlan {
  id: string;
  version: string;
  steps: { actions: JsonObject[] }[];
}

/** Where the translator looks up what the feed itself did not carry (things from before it began). */
export interface EventContext {
  /** A live task as the scheduler lists it now. */
  task(appId: string, taskId: string): Promise<PlacedTask | undefined>;
  /** A deployment's plan (running or ended), as the registry has it. */
  plan(deploymentId: string): Promise<LightPlan | undefined>;
  /** The full plan (`plan-format` not light): the root group before and at the plan's version. */
  groups(plan: LightPlan): Promise<{ original: JsonObject; target: JsonObject }>;
}

/** Marathon 1.4's instance conditions by Mesos task state. */
const CONDITIONS: Record<string, string> = {
  TASK_STAGING: "Staging",
  TASK_STARTING: "Starting",
  TASK_RUNNING: "Running",
  TASK_KILLING: "Killing",
  TASK_FINISHED: "Finished",
  TASK_FAILED: "Failed",
  TASK_KILLED: "Killed",
  TASK_ERROR: "Error",
  TASK_LOST: "Unreachable",
  TASK_UNREACHABLE: "Unreachable",
  TASK_DROPPED: "Dropped",
  TASK_GONE: "Gone",
  TASK_GONE_BY_OPERATOR: "Gone",
  TASK_UNKNOWN: "Unknown",
};

const HEALTH_KILL_REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED";

/**
 * Turns the log's events into Marathon's event bus events (`M/core/event/Events.scala`), in the
 * log's order: app and pod changes are `api_post_event` / `pod_*_event`; task reports are
 * `status_update_event` and `instance_changed_event` (a task killed for its health also
 * `unhealthy_instance_kill_event`); health verdicts `health_status_changed_event` (and
 * `failed_health_check_event` when failing); the scheduler's rollout is `deployment_info` per
 * step started, `deployment_step_success`, then `deployment_success` + `group_change_success`
 * (or `deployment_failed` + `group_change_failed`, also for a cancelled deployment), and
 * `app_terminated_event` when a step that stops an app is done. What the events themselves do
 * not carry (a task's host and ports, a plan) is remembered from earlier events or looked up.
 */
export class MarathonEventTranslator {
  readonly #context: EventContext;
  readonly #fullPlans: boolean;
  readonly #tasks = new Map<string, PlacedTask>();
  readonly #plans = new Map<string, LightPlan>();
  readonly #healthKills = new Set<string>();

  constructor(context: EventContext, options: { fullPlans: boolean }) {
    this.#context = context;
    this.#fullPlans = options.fullPlans;
  }

  async translate(e: RelayedEvent): Promise<MarathonEvent[]> {
    const d = e.data as Record<string, any>;
    const at = e.recordedAt;
    switch (e.type) {
      case "AppCreated":
      case "AppUpdated": {
        const app = d.app ?? {};
        return [event("api_post_event", at, { clientIp: clientIp(e), uri: `/v2/apps${app.id}`, appDefinition: { ...(app.definition ?? {}), id: app.id, version: app.version } })];
      }
      case "PodCreated":
      case "PodUpdated":
        return [event(e.type === "PodCreated" ? "pod_created_event" : "pod_updated_event", at, { clientIp: clientIp(e), uri: `/v2/pods${d.pod?.id}` })];
      case "PodDeleted":
        return [event("pod_deleted_event", at, { clientIp: clientIp(e), uri: `/v2/pods${d.podId}` })];
      case "InstancePlaced": {
        const ports = ((d.ports ?? []) as { hostPort?: number }[]).map((p) => p.hostPort ?? 0);
        const placed: PlacedTask = { appId: d.appId, instanceId: d.instanceId, agentId: d.agentId, host: d.host ?? "", ports, version: d.appVersion ?? "" };
        for (const taskId of (d.taskIds as string[] | undefined) ?? [d.taskId]) this.#tasks.set(taskId, placed);
        return [event("instance_changed_event", at, { instanceId: d.instanceId, condition: "Created", runSpecId: d.appId, agentId: d.agentId, host: placed.host, runSpecVersion: placed.version })];
      }
      case "TaskStatusChanged":
        return this.#status(d, at);
      case "TaskHealthChanged":
        return this.#health(d, at);
      case "DeploymentPlanned": {
        const plan = lightPlan(d.deployment ?? {});
        this.#plans.set(plan.id, plan);
        return [];
      }
      case "DeploymentStepStarted":
      case "DeploymentStepSucceeded":
        return this.#step(e.type === "DeploymentStepStarted" ? "deployment_info" : "deployment_step_success", d.deploymentId, d.step ?? 1, at);
      case "DeploymentSucceeded":
      case "DeploymentFailed":
      case "DeploymentCancelled":
        return this.#end(e.type === "DeploymentSucceeded", d, at);
      default:
        return [];
    }
  }

  async #status(d: Record<string, any>, at: string): Promise<MarathonEvent[]> {
    const taskId = String(d.taskId);
    const placed = this.#tasks.get(taskId) ?? (await this.#context.task(d.appId, taskId));
    const state = taskState(d.state);
    const timestamp = d.timestamp || at;
    const out = [
      event("status_update_event", timestamp, {
        slaveId: d.agentId ?? placed?.agentId ?? "",
        taskId,
        taskStatus: state,
        message: d.message ?? "",
        appId: d.appId,
        host: placed?.host ?? "",
        ipAddresses: [],
        ports: placed?.ports ?? [],
        version: placed?.version ?? "",
      }),
      event("instance_changed_event", timestamp, {
        instanceId: d.instanceId,
        condition: CONDITIONS[state] ?? "Unknown",
        runSpecId: d.appId,
        agentId: d.agentId ?? placed?.agentId ?? "",
        host: placed?.host ?? "",
        runSpecVersion: placed?.version ?? "",
      }),
    ];
    if (d.reason === HEALTH_KILL_REASON && !this.#healthKills.has(d.instanceId)) {
      this.#healthKills.add(d.instanceId);
      out.push(event("unhealthy_instance_kill_event", timestamp, { appId: d.appId, taskId, instanceId: d.instanceId, version: placed?.version ?? "", reason: d.message ?? "", host: placed?.host ?? "", slaveId: d.agentId ?? "" }));
    }
    if (CONDITIONS[state] && isTerminal(state)) {
      this.#tasks.delete(taskId);
      this.#healthKills.delete(d.instanceId);
    }
    return out;
  }

  async #health(d: Record<string, any>, at: string): Promise<MarathonEvent[]> {
    const taskId = String(d.taskId);
    const placed = this.#tasks.get(taskId) ?? (await this.#context.task(d.appId, taskId));
    const timestamp = d.timestamp || at;
    const alive = d.healthy === true;
    const out = [event("health_status_changed_event", timestamp, { appId: d.appId, instanceId: d.instanceId, taskId, version: placed?.version ?? "", alive })];
    if (!alive) out.push(event("failed_health_check_event", timestamp, { appId: d.appId, taskId, instanceId: d.instanceId, healthCheck: {}, message: d.message ?? "" }));
    return out;
  }

  async #step(eventType: string, deploymentId: string, step: number, at: string): Promise<MarathonEvent[]> {
    const plan = await this.#planOf(deploymentId);
    if (!plan) return [];
    const currentStep = plan.steps[step - 1] ?? { actions: [] };
    const out = [event(eventType, at, { plan: await this.#planJson(plan), currentStep })];
    if (eventType === "deployment_step_success") {
      for (const a of currentStep.actions) if (a.action === "StopApplication") out.push(event("app_terminated_event", at, { appId: a.app as string }));
    }
    return out;
  }

  async #end(succeeded: boolean, d: Record<string, any>, at: string): Promise<MarathonEvent[]> {
    const id = String(d.deploymentId);
    const plan = await this.#planOf(id);
    this.#plans.delete(id);
    if (!plan) return [];
    const planJson = await this.#planJson(plan);
    const group = { groupId: "/", version: plan.version };
    if (succeeded) return [event("deployment_success", at, { id, plan: planJson }), event("group_change_success", at, group)];
    const reason = d.reason ?? "";
    return [event("deployment_failed", at, { id, plan: planJson, ...(reason ? { reason } : {}) }), event("group_change_failed", at, { ...group, reason })];
  }

  async #planOf(deploymentId: string): Promise<LightPlan | undefined> {
    const known = this.#plans.get(deploymentId);
    if (known) return known;
    const plan = await this.#context.plan(deploymentId);
    if (plan) this.#plans.set(deploymentId, plan);
    return plan;
  }

  async #planJson(plan: LightPlan): Promise<JsonObject> {
    const light: JsonObject = { id: plan.id, version: plan.version, steps: plan.steps as unknown as JsonValue };
    if (!this.#fullPlans) return light;
    return { ...light, ...(await this.#context.groups(plan)) };
  }
}

/** A plan as the registry wrote it (protobuf JSON of `Deployment`), in Marathon's light form. */
export function lightPlan(deployment: Record<string, any>): LightPlan {
  return {
    id: String(deployment.id ?? ""),
    version: String(deployment.version ?? ""),
    steps: ((deployment.steps ?? []) as { actions?: Record<string, string>[] }[]).map((s) => ({
      actions: (s.actions ?? []).map((a): JsonObject => (a.pod ? { action: a.action ?? "", pod: a.pod } : { action: a.action ?? "", app: a.app ?? "" })),
    })),
  };
}

function event(eventType: string, timestamp: string, payload: JsonObject): MarathonEvent {
  return { eventType, payload: { ...payload, eventType, timestamp } };
}

/** `TASK_STATE_RUNNING` (protobuf JSON of the scheduler's TaskState) as Mesos names it: `TASK_RUNNING`. */
function taskState(value: unknown): string {
  return String(value ?? "TASK_STATE_UNKNOWN").replace(/^TASK_STATE_/, "TASK_");
}

function isTerminal(state: string): boolean {
  return !["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"].includes(state);
}

/** The caller's address when the change was recorded with one (Marathon's clientIp), else null. */
function clientIp(e: RelayedEvent): string | null {
  const ip = (e.metadata as { clientIp?: unknown }).clientIp;
  return typeof ip === "string" ? ip : null;
}
