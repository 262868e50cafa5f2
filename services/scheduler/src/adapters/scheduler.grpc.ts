import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { create } from "@bufbuild/protobuf";
import { authorize, bindService, GantryError, listParkedMessages, type Bus, type ServiceBinding } from "@gantry/platform";
import { isTerminal, type Instance } from "../domain/index.ts";
import type { Scheduler } from "../app/scheduler.ts";
import { toProtoTask } from "./task-view.ts";

/**
 * `gantry.scheduler.v1.SchedulerService`: tasks and agents as the scheduler sees them now (a
 * standby serves them from its warm state as well), and what the cluster's consumers parked.
 */
export function schedulerService(scheduler: Scheduler, bus: Bus): ServiceBinding {
  const { state } = scheduler;
  const visible = (inst: Instance, appId: string, includeTerminal: boolean) =>
    (appId === "" || inst.appId === appId) && (includeTerminal || !isTerminal(inst.state));
  return bindService(schedulerV1.SchedulerService, {
    async listTasks(request, ctx) {
      authorize(ctx.principal, "readTask", request.appId || "/");
      const candidates = request.appId ? [...state.instancesOf(request.appId)] : [...state.instances.values()];
      if (request.includeTerminal) candidates.push(...state.recentlyEnded);
      const tasks = candidates.filter((i) => visible(i, request.appId, request.includeTerminal)).map(toProtoTask);
      return { tasks };
    },
    async listAgents(_request, ctx) {
      authorize(ctx.principal, "readAgent", "/");
      const agents = [...state.agents.values()].map((a) =>
        create(schedulerV1Model.AgentSchema, {
          agentId: a.agentId,
          hostname: a.hostname,
          total: a.total,
          free: state.free(a.agentId),
          attributes: a.attributes,
          roles: a.roles,
          capabilities: a.capabilities,
          active: a.active,
          lastSeenAt: new Date(a.lastSeenAt).toISOString(),
        }),
      );
      return { agents };
    },
    async listParkedMessages(request, ctx) {
      authorize(ctx.principal, "readParked", "/");
      const report = await listParkedMessages(bus, { limit: request.limit || 20 });
      return {
        total: BigInt(report.total),
        consumers: report.byConsumer.map((c) => ({ consumer: c.consumer, subject: c.subject, count: BigInt(c.count) })),
        recent: report.recent.map((m) => ({
          consumer: m.consumer,
          stream: m.stream,
          subject: m.subject,
          sequence: BigInt(m.seq),
          key: m.key ?? "",
          reason: m.reason,
          attempts: m.attempts,
          parkedAt: m.parkedAt.toISOString(),
        })),
      };
    },
    async explainPlacement() {
      throw new GantryError("Unavailable", "placement explanations are being built");
    },
    async listQueue() {
      throw new GantryError("Unavailable", "the launch queue is being built");
    },
    async resetLaunchDelay() {
      throw new GantryError("Unavailable", "the launch queue is being built");
    },
    async drainAgent() {
      throw new GantryError("Unavailable", "draining is being built");
    },
    async undrainAgent() {
      throw new GantryError("Unavailable", "draining is being built");
    },
    async *watchTasks(request, ctx) {
      authorize(ctx.principal, "readTask", request.appId || "/");
      const queue: Instance[] = [...state.recentlyEnded, ...state.instances.values()].filter((i) => visible(i, request.appId, true));
      let wake: (() => void) | undefined;
      const onChange = (inst: Instance) => {
        if (!visible(inst, request.appId, true)) return;
        queue.push(inst);
        wake?.();
      };
      state.changes.on("instance", onChange);
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        while (!ctx.signal.aborted) {
          const next = queue.shift();
          if (next) {
            yield { task: toProtoTask(next) };
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        state.changes.off("instance", onChange);
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  });
}
