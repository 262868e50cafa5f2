import { schedulerV1 } from "@gantry/proto";
import { bindService, GantryError, isAllowed, listParkedMessages, onApps, type AccessAudit, type Bus, type CallContext, type ServiceBinding } from "@gantry/platform";
import { isTerminal, type Instance } from "../domain/index.ts";
import type { Scheduler } from "../app/scheduler.ts";
import { toProtoAgent } from "./agent-view.ts";
import { toPlacementExplanation } from "./placement-view.ts";
import { schedulerPermissions } from "./scheduler-permissions.ts";
import { taskCountList, taskList, toProtoTasks } from "./task-view.ts";
import { taskStateProto } from "../app/task-state-codec.ts";

/**
 * `gantry.scheduler.v1.SchedulerService`: tasks and agents as the scheduler sees them now (a
 * standby serves them from its warm state as well), and what the cluster's consumers parked.
 * Every method is authorised by its rule in `schedulerPermissions` before it runs; lists of
 * every app's show only the apps the caller may read.
 */
export function schedulerService(scheduler: Scheduler, bus: Bus, audit?: AccessAudit): ServiceBinding {
  const { state } = scheduler;
  const visible = (inst: Instance, appId: string, includeTerminal: boolean) =>
    (appId === "" || inst.appId === appId) && (includeTerminal || !isTerminal(inst.state));
  const readsAll = (ctx: CallContext) => isAllowed(ctx.principal, onApps("read", "/"));
  /** Whether the caller may read an app, asked once per app per call. */
  const readableApps = (ctx: CallContext): ((appId: string) => boolean) => {
    if (readsAll(ctx)) return () => true;
    const known = new Map<string, boolean>();
    return (appId) => {
      let may = known.get(appId);
      if (may === undefined) known.set(appId, (may = isAllowed(ctx.principal, onApps("read", appId))));
      return may;
    };
  };
  /** The last task failure of one app, or of every app the caller may read. */
  const failuresFor = (request: { appId: string }, ctx: CallContext) => {
    const readable = readableApps(ctx);
    const failures = request.appId ? [state.lastFailures.get(request.appId)].filter((f) => f !== undefined) : [...state.lastFailures.values()].filter((f) => readable(f.appId));
    return failures.map((f) => ({ ...f, state: taskStateProto(f.state) }));
  };
  /** A list answer with the failures asked for (`with_failures`), except an "unchanged" one: the caller's are current. */
  const withFailures = <T extends object>(answer: T, request: { appId: string; withFailures: boolean }, ctx: CallContext) =>
    request.withFailures && !("unchanged" in answer && answer.unchanged) ? { ...answer, failures: failuresFor(request, ctx) } : answer;
  return bindService(schedulerV1.SchedulerService, {
    async listTasks(request, ctx) {
      // A caller who may read every app shares the versioned list; others get theirs, unversioned.
      if (request.appId || readsAll(ctx)) return withFailures(taskList(state, request), request, ctx);
      const readable = readableApps(ctx);
      return withFailures({ tasks: taskList(state, { ...request, knownVersion: "" }).tasks.filter((t) => readable(t.appId)) }, request, ctx);
    },
    async listAgents(_request, ctx) {
      return { agents: [...state.agents.values()].map((a) => toProtoAgent(a, state.ledgerOf(a.agentId))) };
    },
    async listParkedMessages(request, ctx) {
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
      const waiting = state.explanations.get(request.id);
      if (!waiting) {
        if (!state.runSpecs.has(request.id)) throw new GantryError("NotFound", `App '${request.id}' does not exist`, { details: { id: request.id } });
        // Known and nothing waits: every instance is placed.
        return { explanation: { runSpecId: request.id, pod: state.runSpecs.get(request.id)!.demand.pod, waiting: 0 } };
      }
      return { explanation: toPlacementExplanation(state, waiting, scheduler.ports.now()) };
    },
    async listQueue(_request, ctx) {
      const now = scheduler.ports.now();
      const readable = readableApps(ctx);
      return { items: [...state.explanations.all()].filter((w) => readable(w.id)).map((w) => toPlacementExplanation(state, w, now)) };
    },
    async resetLaunchDelay(request, ctx) {
      await scheduler.resetLaunchDelay(request.id);
      return {};
    },
    async killTasks(request, ctx) {
      const ids = [...request.taskIds, ...request.instanceIds];
      const killed = await scheduler.killInstances(ids, request.reason || `killed through the API by ${ctx.principal.name}`);
      return { tasks: killed.instances.flatMap(toProtoTasks), unknownIds: killed.unknownIds };
    },
    async listTaskFailures(request, ctx) {
      return { failures: failuresFor(request, ctx) };
    },
    async listTaskCounts(request, ctx) {
      if (request.appId || readsAll(ctx)) return withFailures(taskCountList(state, request), request, ctx);
      const readable = readableApps(ctx);
      return withFailures({ counts: taskCountList(state, { ...request, knownVersion: "" }).counts.filter((c) => readable(c.appId)) }, request, ctx);
    },
    async drainAgent(request, ctx) {
      await scheduler.drainAgent(request.agentId, request.reason);
      return { agent: toProtoAgent(state.agents.get(request.agentId)!, state.ledgerOf(request.agentId)) };
    },
    async undrainAgent(request, ctx) {
      await scheduler.undrainAgent(request.agentId);
      return { agent: toProtoAgent(state.agents.get(request.agentId)!, state.ledgerOf(request.agentId)) };
    },
    async *watchTasks(request, ctx) {
      const readable = readableApps(ctx);
      const watched = (inst: Instance) => visible(inst, request.appId, true) && readable(inst.appId);
      const queue: Instance[] = [...state.recentlyEnded, ...state.instances.values()].filter(watched);
      let wake: (() => void) | undefined;
      const onChange = (inst: Instance) => {
        if (!watched(inst)) return;
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
  }, schedulerPermissions(state), audit);
}
