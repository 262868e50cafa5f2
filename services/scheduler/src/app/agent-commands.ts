import { create } from "@bufbuild/protobuf";
import { agentV1 } from "@gantry/proto";
import type { AppSpec, Instance } from "../domain/index.ts";
import type { SchedulerContext } from "./scheduler.ts";

/** The command that starts an instance's task. */
export function launchCommand(app: AppSpec, inst: Instance): agentV1.AgentCommand {
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

/** The command that kills a task (with its app's grace period, or 3 s when the app is gone). */
export function killCommand(ctx: SchedulerContext, inst: Pick<Instance, "taskId" | "appId">): agentV1.AgentCommand {
  const app = ctx.state.apps.get(inst.appId);
  return create(agentV1.AgentCommandSchema, {
    command: { case: "kill", value: { taskId: inst.taskId, killGracePeriodSeconds: app?.killGracePeriodSeconds ?? 3 } },
  });
}

/** Commands grouped per agent, to send as one message each. */
export class CommandBatches {
  readonly #byAgent = new Map<string, agentV1.AgentCommand[]>();

  add(agentId: string, command: agentV1.AgentCommand): void {
    let list = this.#byAgent.get(agentId);
    if (!list) this.#byAgent.set(agentId, (list = []));
    list.push(command);
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
      const traceparent = commands.map((c) => (c.command.case === "launch" ? ctx.originOf(c.command.value.appId).traceparent : undefined)).find(Boolean) ?? "";
      ctx.ports.commands.send(agentId, create(agentV1.AgentCommandsSchema, { commands, traceparent, epoch, logId }));
    }
  }
}
