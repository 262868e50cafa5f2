import { schedulerV1 } from "@gantry/proto";
import { authorize, bindService, GantryError, listParkedMessages, type Bus, type ServiceBinding } from "@gantry/platform";
import { isTerminal, type Instance } from "../domain/index.ts";
import type { Scheduler } from "../app/scheduler.ts";
import { toProtoAgent } from "./agent-view.ts";
import { toPlacementExplanation } from "./placement-view.ts";
import { taskCountList, taskList, toProtoTasks } from "./task-view.ts";
import { taskStateProto } from "../app/task-state-codec.ts";

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
      return taskList(state, request);
    },
    async listAgents(_request, ctx) {
      authorize(ctx.principal, "readAgent", "/");
      return { agents: [...state.agents.values()].map((a) => toProtoAgent(a, state.ledgerOf(a.agentId))) };
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
    async explainPlacement(request, ctx) {
      authorize(ctx.principal, "readApp", request.id || "/");
      const waiting = state.explanations.get(request.id);
      if (!waiting) {
        if (!state.runSpecs.has(request.id)) throw new GantryError("NotFound", `App '${request.id}' does not exist`, { details: { id: request.id } });
        // Known and nothing waits: every instance is placed.
        return { explanation: { runSpecId: request.id, pod: state.runSpecs.get(request.id)!.demand.pod, waiting: 0 } };
      }
      return { explanation: toPlacementExplanation(state, waiting, scheduler.ports.now()) };
    },
    async listQueue(_request, ctx) {
      authorize(ctx.principal, "readApp", "/");
      const now = scheduler.ports.now();
      return { items: [...state.explanations.all()].map((w) => toPlacementExplanation(state, w, now)) };
    },
    async resetLaunchDelay(request, ctx) {
      authorize(ctx.principal, "updateApp", request.id || "/");
      await scheduler.resetLaunchDelay(request.id);
      return {};
    },
    async killTasks(request, ctx) {
      const ids = [...request.taskIds, ...request.instanceIds];
      for (const id of ids) {
        const inst = state.instanceOfTask(id) ?? state.instances.get(id);
        // An id that names nothing live kills nothing: it is only reported back.
        if (inst) authorize(ctx.principal, "updateApp", inst.appId);
      }
      const killed = await scheduler.killInstances(ids, request.reason || `killed through the API by ${ctx.principal.name}`);
      return { tasks: killed.instances.flatMap(toProtoTasks), unknownIds: killed.unknownIds };
    },
    async listTaskFailures(request, ctx) {
      authorize(ctx.principal, "readTask", request.appId || "/");
      const failures = request.appId ? [state.lastFailures.get(request.appId)].filter((f) => f !== undefined) : [...state.lastFailures.values()];
      return { failures: failures.map((f) => ({ ...f, state: taskStateProto(f.state) })) };
    },
    async listTaskCounts(request, ctx) {
      authorize(ctx.principal, "readTask", request.appId || "/");
      return taskCountList(state, request);
    },
    async drainAgent(request, ctx) {
      authorize(ctx.principal, "updateAgent", "/");
      await scheduler.drainAgent(request.agentId, request.reason);
      return { agent: toProtoAgent(state.agents.get(request.agentId)!, state.ledgerOf(request.agentId)) };
    },
    async undrainAgent(request, ctx) {
      authorize(ctx.principal, "updateAgent", "/");
      await scheduler.undrainAgent(request.agentId);
      return { agent: toProtoAgent(state.agents.get(request.agentId)!, state.ledgerOf(request.agentId)) };
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
            for (const task of toProtoTasks(next)) yield { task };
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
