import { create } from "@bufbuild/protobuf";
import { agentV1, type registryV1RunSpec } from "@gantry/proto";
import type { Instance } from "../domain/index.ts";
import type { SchedulerContext } from "./scheduler.ts";

/**
 * The command that starts an instance: its run spec (every container), one task id per
 * container, and what the scheduler assigned on the agent (host ports, GPU devices).
 */
export function launchInstanceCommand(spec: registryV1RunSpec.RunSpec, inst: Instance): agentV1.AgentCommand {
  return create(agentV1.AgentCommandSchema, {
    command: {
      case: "launchInstance",
      value: {
        instanceId: inst.instanceId,
        runSpec: spec,
        taskIds: inst.tasks.map((t) => t.taskId),
        ports: inst.ports.map((p) => ({ container: p.container, endpoint: p.endpoint, endpointIndex: p.endpointIndex, hostPort: p.hostPort, containerPort: p.containerPort })),
        gpus: inst.gpus.map((g) => ({ index: g.index, uuid: g.uuid, model: g.model })),
        host: inst.host,
      },
    },
  });
}

/** The commands that kill every task of an instance (with its run spec's grace period, or 3 s when it is gone). */
export function killCommands(ctx: SchedulerContext, inst: Pick<Instance, "tasks" | "appId">): agentV1.AgentCommand[] {
  return inst.tasks.map((t) => killTaskCommand(ctx, { taskId: t.taskId, appId: inst.appId }));
}

/** The command that kills one task. */
export function killTaskCommand(ctx: SchedulerContext, task: { taskId: string; appId: string }): agentV1.AgentCommand {
  const known = ctx.state.runSpecs.get(task.appId);
  return create(agentV1.AgentCommandSchema, {
    command: { case: "kill", value: { taskId: task.taskId, killGracePeriodSeconds: known?.demand.killGracePeriodSeconds ?? 3 } },
  });
}

/** Commands grouped per agent, to send as one message each. */
export class CommandBatches {
  readonly #byAgent = new Map<string, agentV1.AgentCommand[]>();

  add(agentId: string, ...commands: agentV1.AgentCommand[]): void {
    let list = this.#byAgent.get(agentId);
    if (!list) this.#byAgent.set(agentId, (list = []));
    list.push(...commands);
  }

  get agents(): number {
    return this.#byAgent.size;
  }

  /**
   * Sends each agent its batch in one message, carrying the leader's epoch (agents refuse older
   * ones) and the trace context of the first launch's app.
   */
  send(ctx: SchedulerContext): void {
    const { epoch, logId } = ctx.leading();
    for (const [agentId, commands] of this.#byAgent) {
      const traceparent = commands.map((c) => (c.command.case === "launchInstance" ? ctx.originOf(c.command.value.runSpec?.id ?? "").traceparent : undefined)).find(Boolean) ?? "";
      ctx.ports.commands.send(agentId, create(agentV1.AgentCommandsSchema, { commands, traceparent, epoch, logId }));
    }
  }
}
