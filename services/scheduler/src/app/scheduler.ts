import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { GantryError } from "@gantry/platform";
import { agentV1, eventsV1Agent, eventsV1Deployment, eventsV1Instance, schedulerV1Model } from "@gantry/proto";
import {
  afterFailure,
  createPlacementStack,
  deploymentOutcome,
  isTerminal,
  isProgress,
  reconcile,
  subtractResources,
  addResources,
  ZERO,
  type AppSpec,
  type Instance,
  type ResourceAmount,
  type TaskStateName,
} from "../domain/index.ts";
import { foldEvent, type FoldableEvent } from "./fold-event.ts";
import type { OutgoingEvent, SchedulerPorts } from "./ports.ts";
import { SchedulerState } from "./scheduler-state.ts";
import { taskStateName, taskStateProto } from "./task-state-codec.ts";

/** Tunables of the scheduler core, compiled by the caller. */
export interface SchedulerSettings {
  /** Seconds between agent heartbeats. */
  heartbeatIntervalSeconds: number;
  /** Missed heartbeat intervals before an agent is declared lost. */
  missedHeartbeatsBeforeLost: number;
  /** Seconds a launched task may stay STAGING, unreported by its agent, before the launch is sent again. */
  relaunchAfterSeconds: number;
}

/**
 * The scheduler core: folds app, agent and task events into state, places missing instances
 * on agents that fit (one transaction for a whole decision, one command batch per agent),
 * kills what is no longer wanted, and follows agents' status reports. Every change is
 * serialised through one queue, so decisions never interleave.
 */
export class Scheduler {
  readonly state = new SchedulerState();
  private readonly placement = createPlacementStack();
  private queue: Promise<unknown> = Promise.resolve();
  private reconcileScheduled = false;
  private agentCheckQueued: Promise<void> | undefined;
  private readonly ports: SchedulerPorts;
  private readonly settings: SchedulerSettings;

  constructor(ports: SchedulerPorts, settings: SchedulerSettings) {
    this.ports = ports;
    this.settings = settings;
  }

  /** Runs `fn` after every change queued before it. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Folds an event read from the log at start (no side effects). */
  foldHistory(e: FoldableEvent): void {
    foldEvent(this.state, e, this.ports.now());
  }

  /**
   * Applies an event relayed from the log (commit order) and reconciles when it changed desired
   * state. The scheduler's own events come back this way too and are skipped by the fold.
   */
  onLogEvent(e: FoldableEvent): Promise<void> {
    return this.serial(() => {
      if (foldEvent(this.state, e, this.ports.now())) {
        this.ports.logger.info({ streamId: e.streamId, type: e.type }, "event applied");
        this.reconcileSoon();
      }
    });
  }

  /** Records an agent's registration and answers it. */
  onRegistration(reg: agentV1.AgentRegistration): Promise<agentV1.AgentRegistered> {
    return this.serial(async () => {
      const streamId = `agent-${reg.agentId}`;
      await this.append([{ streamId, events: [{ schema: eventsV1Agent.AgentRegisteredSchema, message: create(eventsV1Agent.AgentRegisteredSchema, { registration: reg }) }] }]);
      this.ports.logger.info({ agent: reg.agentId, hostname: reg.hostname, capabilities: reg.capabilities }, "agent registered");
      this.reconcileSoon();
      return create(agentV1.AgentRegisteredSchema, { agentId: reg.agentId, heartbeatIntervalSeconds: this.settings.heartbeatIntervalSeconds });
    });
  }

  /**
   * Notes an agent's heartbeat and repairs what it shows: kills tasks the agent runs that the
   * scheduler no longer wants (unknown or already terminal), re-sends kills not acted on, records
   * tasks the agent runs whose RUNNING report was lost, and re-sends launches that never arrived.
   * The agent counts as seen on arrival, not when the queue gets to it, so a slow queue never
   * makes a live agent look lost.
   */
  onHeartbeat(hb: agentV1.AgentHeartbeat): Promise<void> {
    const seenAt = this.ports.now();
    const known = this.state.agents.get(hb.agentId);
    if (known) known.lastSeenAt = Math.max(known.lastSeenAt, seenAt);
    return this.serial(async () => {
      const agent = this.state.agents.get(hb.agentId);
      if (!agent) return;
      agent.lastSeenAt = Math.max(agent.lastSeenAt, seenAt);
      if (!agent.active) {
        agent.active = true;
        this.ports.logger.info({ agent: agent.agentId }, "agent is back");
        this.reconcileSoon();
      }
      const running = new Set(hb.runningTaskIds);
      const now = this.ports.now();
      const resend: agentV1.AgentCommand[] = [];
      const reportedRunning: Instance[] = [];
      for (const taskId of running) {
        const inst = this.state.instanceOfTask(taskId);
        if (!inst || isTerminal(inst.state)) resend.push(this.killCommand(inst ?? { taskId, appId: "" }));
      }
      for (const inst of this.state.instances.values()) {
        if (inst.agentId !== hb.agentId || isTerminal(inst.state)) continue;
        const stale = now - inst.updatedAt > this.settings.relaunchAfterSeconds * 1000;
        if (!stale) continue;
        if (inst.killRequested) resend.push(this.killCommand(inst));
        else if (inst.state === "TASK_STAGING" && running.has(inst.taskId)) reportedRunning.push(inst);
        else if (inst.state === "TASK_STAGING") {
          const app = this.state.apps.get(inst.appId);
          if (app) resend.push(this.launchCommand(app, inst));
        }
      }
      if (resend.length > 0) {
        this.ports.logger.warn({ agent: hb.agentId, commands: resend.length }, "re-sending commands the agent has not acted on");
        this.ports.commands.send(hb.agentId, create(agentV1.AgentCommandsSchema, { commands: resend }));
      }
      if (reportedRunning.length > 0) {
        await this.append(reportedRunning.map((inst) => this.statusChange(inst, { state: "TASK_RUNNING", message: "reported running by the agent's heartbeat" })));
        this.reconcileSoon();
      }
    });
  }

  /**
   * Appends an agent's status report of a task and reacts to it (backoff, replacement). Reports
   * that do not move the task forward (duplicates, late redeliveries) are ignored. A report for a
   * task not known yet (its placement not folded yet) is refused, so the durable consumer
   * delivers it again later instead of losing it.
   */
  onTaskStatus(update: agentV1.TaskStatusUpdate): Promise<void> {
    return this.serial(async () => {
      const inst = this.state.instanceOfTask(update.taskId);
      const next = taskStateName(update.state);
      if (!inst) {
        throw new GantryError("Unavailable", `status ${next} for task ${update.taskId}, which this scheduler does not know (yet)`);
      }
      if (!isProgress(inst.state, next)) return;
      await this.append([this.statusChange(inst, { state: next, message: update.message, timestamp: update.timestamp, exitCode: update.exitCode, signal: update.signal })]);
      this.ports.logger.info({ task: inst.taskId, agent: inst.agentId, app: inst.appId, instance: inst.instanceId, state: next, message: update.message }, "task state changed");
      const app = this.state.apps.get(inst.appId);
      if (next === "TASK_RUNNING") this.state.backoff.delete(inst.appId);
      if (app && isTerminal(next) && !inst.killRequested && next !== "TASK_FINISHED") {
        this.state.backoff.set(app.id, afterFailure(this.state.backoff.get(app.id), this.ports.now(), app));
      }
      // A terminal task may need replacing; a running one may complete its deployment.
      if (isTerminal(next) || next === "TASK_RUNNING") this.reconcileSoon();
    });
  }

  /** The TaskStatusChanged append for one instance. */
  private statusChange(
    inst: Instance,
    change: { state: TaskStateName; message: string; timestamp?: string; exitCode?: number; signal?: string },
  ): { streamId: string; events: OutgoingEvent[] } {
    return {
      streamId: `instance-${inst.instanceId}`,
      events: [
        {
          schema: eventsV1Instance.TaskStatusChangedSchema,
          message: create(eventsV1Instance.TaskStatusChangedSchema, {
            instanceId: inst.instanceId,
            taskId: inst.taskId,
            appId: inst.appId,
            agentId: inst.agentId,
            state: taskStateProto(change.state),
            message: change.message,
            timestamp: change.timestamp ?? new Date(this.ports.now()).toISOString(),
            exitCode: change.exitCode ?? -1,
            signal: change.signal ?? "",
          }),
          ...this.originOf(inst.appId),
        },
      ],
    };
  }

  /**
   * Declares agents lost when they missed their heartbeats, and with them their tasks
   * (TASK_LOST, in the same transaction), so that reconciliation replaces the instances and
   * their resources stop counting. Coalesced: ticks that find a check queued add nothing.
   */
  checkAgents(): Promise<void> {
    if (this.agentCheckQueued) return this.agentCheckQueued;
    this.agentCheckQueued = this.serial(async () => {
      this.agentCheckQueued = undefined;
      const now = this.ports.now();
      const deadline = now - this.settings.heartbeatIntervalSeconds * this.settings.missedHeartbeatsBeforeLost * 1000;
      for (const agent of this.state.agents.values()) {
        if (!agent.active || agent.lastSeenAt >= deadline) continue;
        const reason = `no heartbeat for ${Math.round((now - agent.lastSeenAt) / 1000)} s`;
        const lost = [...this.state.instances.values()].filter((i) => i.agentId === agent.agentId && !isTerminal(i.state));
        await this.append([
          { streamId: `agent-${agent.agentId}`, events: [{ schema: eventsV1Agent.AgentLostSchema, message: create(eventsV1Agent.AgentLostSchema, { agentId: agent.agentId, reason }) }] },
          ...lost.map((inst) => this.statusChange(inst, { state: "TASK_LOST", message: `agent ${agent.agentId} lost: ${reason}` })),
        ]);
        this.ports.logger.warn({ agent: agent.agentId, reason, tasksLost: lost.length }, "agent lost");
        if (lost.length > 0) this.reconcileSoon();
      }
    });
    return this.agentCheckQueued;
  }

  /** Schedules one reconciliation after the current queue (coalescing repeated requests). */
  reconcileSoon(): void {
    if (this.reconcileScheduled) return;
    this.reconcileScheduled = true;
    void this.serial(async () => {
      this.reconcileScheduled = false;
      await this.reconcileNow();
    }).catch((err) => this.ports.logger.error({ err }, "reconciliation failed; will retry on the next tick"));
  }

  /** Places missing instances and kills unwanted ones. Called only from the queue. */
  private async reconcileNow(): Promise<void> {
    const now = this.ports.now();
    const plan = reconcile(this.state.apps, this.state.instances.values(), (appId) => (this.state.backoff.get(appId)?.notBefore ?? 0) <= now);
    const batches: { streamId: string; events: OutgoingEvent[] }[] = [];
    const commands = new Map<string, agentV1.AgentCommand[]>();
    const queue = (agentId: string, c: agentV1.AgentCommand) => commands.set(agentId, [...(commands.get(agentId) ?? []), c]);

    const placed: Instance[] = [];
    const pendingUse = new Map<string, ResourceAmount>();
    const ctxFree = (agentId: string) => {
      const used = pendingUse.get(agentId);
      const free = this.state.free(agentId);
      return used ? subtractResources(free, used) : free;
    };
    for (const { app, count } of plan.launches) {
      for (let i = 0; i < count; i++) {
        const decision = this.placement.select(this.state.agents.values(), { needs: app.resources, acceptedRoles: ["*"], free: ctxFree });
        if (!decision.agent) {
          this.ports.logger.info({ app: app.id, waiting: count - i, reasons: decision.counts }, "no agent fits; instances wait");
          break;
        }
        const agent = decision.agent;
        pendingUse.set(agent.agentId, addResources(pendingUse.get(agent.agentId) ?? ZERO, app.resources));
        const uuid = this.ports.newId();
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
        placed.push(inst);
        batches.push({
          streamId: `instance-${inst.instanceId}`,
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
              ...this.originOf(app.id),
            },
          ],
        });
        queue(agent.agentId, this.launchCommand(app, inst));
      }
    }
    for (const { instance, reason } of plan.kills) {
      batches.push({
        streamId: `instance-${instance.instanceId}`,
        events: [
          {
            schema: eventsV1Instance.InstanceKillRequestedSchema,
            message: create(eventsV1Instance.InstanceKillRequestedSchema, { instanceId: instance.instanceId, taskId: instance.taskId, appId: instance.appId, reason }),
            ...this.originOf(instance.appId),
          },
        ],
      });
      queue(instance.agentId, this.killCommand(instance));
    }
    if (batches.length === 0) return this.settleDeployments();
    // One transaction for the whole decision: either every placement and kill is recorded or none is.
    await this.append(batches);
    for (const [agentId, list] of commands) {
      const traceparent = list.map((c) => this.originOf(c.command.case === "launch" ? c.command.value.appId : "").traceparent).find(Boolean) ?? "";
      this.ports.commands.send(agentId, create(agentV1.AgentCommandsSchema, { commands: list, traceparent }));
    }
    this.ports.logger.info({ placed: placed.length, killed: plan.kills.length, agents: commands.size }, "reconciled");
    await this.settleDeployments();
  }

  /** Records the end of every deployment that reached its target (or cannot), in one transaction. */
  private async settleDeployments(): Promise<void> {
    const ends: { streamId: string; events: OutgoingEvent[] }[] = [];
    for (const deployment of this.state.deployments.values()) {
      const outcome = deploymentOutcome(deployment, this.state.apps, this.state.instances.values());
      if (outcome.state === "running") continue;
      const event: OutgoingEvent =
        outcome.state === "succeeded"
          ? { schema: eventsV1Deployment.DeploymentSucceededSchema, message: create(eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: deployment.id }), correlationId: deployment.id }
          : { schema: eventsV1Deployment.DeploymentFailedSchema, message: create(eventsV1Deployment.DeploymentFailedSchema, { deploymentId: deployment.id, reason: outcome.reason }), correlationId: deployment.id };
      ends.push({ streamId: `rollout-${deployment.id}`, events: [event] });
      this.ports.logger.info({ deployment: deployment.id, outcome: outcome.state, ...(outcome.state === "failed" ? { reason: outcome.reason } : {}) }, "deployment finished");
    }
    if (ends.length > 0) await this.append(ends);
  }

  /** Correlation id (the deployment) and trace context of the change that last touched an app. */
  private originOf(appId: string): { correlationId?: string; traceparent?: string } {
    const origin = this.state.appOrigins.get(appId);
    if (!origin) return {};
    return { correlationId: origin.deploymentId, ...(origin.traceparent ? { traceparent: origin.traceparent } : {}) };
  }

  private launchCommand(app: AppSpec, inst: Instance): agentV1.AgentCommand {
    return create(agentV1.AgentCommandSchema, {
      command: {
        case: "launch",
        value: {
          taskId: inst.taskId,
          instanceId: inst.instanceId,
          appId: app.id,
          appVersion: app.version,
          cmd: app.cmd,
          args: app.args,
          env: app.env,
          resources: app.resources,
          killGracePeriodSeconds: app.killGracePeriodSeconds,
        },
      },
    });
  }

  private killCommand(inst: Pick<Instance, "taskId" | "appId">): agentV1.AgentCommand {
    const app = this.state.apps.get(inst.appId);
    return create(agentV1.AgentCommandSchema, {
      command: { case: "kill", value: { taskId: inst.taskId, killGracePeriodSeconds: app?.killGracePeriodSeconds ?? 3 } },
    });
  }

  /** Appends to the scheduler's own streams at their known versions, then folds what was written. */
  private async append(batches: { streamId: string; events: OutgoingEvent[] }[]): Promise<void> {
    const withVersions = batches.map((b) => ({ ...b, expectedVersion: this.state.versionOf(b.streamId) }));
    await this.ports.events.appendBatch(withVersions);
    const recordedAt = new Date(this.ports.now());
    for (const b of withVersions) {
      b.events.forEach((ev, i) => {
        foldEvent(this.state, { streamId: b.streamId, streamVersion: b.expectedVersion + i + 1, type: ev.schema.name, data: toJsonObject(ev), recordedAt }, this.ports.now());
      });
    }
  }
}

/** Task state as protobuf, for the gRPC views. */
export function toProtoTask(inst: Instance): schedulerV1Model.Task {
  return create(schedulerV1Model.TaskSchema, {
    taskId: inst.taskId,
    instanceId: inst.instanceId,
    appId: inst.appId,
    appVersion: inst.appVersion,
    agentId: inst.agentId,
    host: inst.host,
    state: taskStateProto(inst.state),
    message: inst.message,
    updatedAt: new Date(inst.updatedAt).toISOString(),
    resources: inst.resources,
    exitCode: inst.exitCode,
  });
}

function toJsonObject(ev: OutgoingEvent): JsonObject {
  return toJson(ev.schema, ev.message) as JsonObject;
}
