import type { Command } from "commander";
import { schedulerV1 } from "@gantry/proto";
import { printView, type OutputOptions } from "../output.ts";
import { messageJson } from "../render/message-json.ts";
import { taskStateLabel } from "../render/enum-labels.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { addTaskExecCommand } from "./exec.command.ts";
import { addTaskMetricsCommand } from "./metrics.command.ts";
import { addTaskLogCommand } from "./log.command.ts";

interface TaskListOptions extends OutputOptions {
  app?: string;
  all?: boolean;
}

/** What `task list` says when it finds none: of which app, and that --all shows ended ones. */
function noTasks(opts: TaskListOptions): string {
  return `no ${opts.all ? "" : "live "}tasks${opts.app ? ` of ${opts.app}` : ""}${opts.all ? "" : " (--all includes ended ones)"}`;
}

/** `gantry task …`: list tasks. */
export function taskCommand(): Command {
  const task = commandGroup("task", "inspect tasks");
  withJson(
    task
      .command("list")
      .alias("ls")
      .description("list tasks with their app, agent and state")
      .option("--app <id>", "only this app's tasks")
      .option("--all", "include finished, failed and killed tasks"),
  ).action(async (opts: TaskListOptions) => {
    const result = await withClient((api) => api.scheduler.listTasks({ appId: opts.app ?? "", includeTerminal: opts.all ?? false }));
    // --json prints the tasks alone (the answer's other lists are for the gateway's views).
    printView(opts, () => ({ tasks: messageJson(schedulerV1.ListTasksResponseSchema, result).tasks }), () => {
      const rows = result.tasks.map((t) => [t.taskId, t.appId, t.host, taskStateLabel(t.state), t.updatedAt, t.message]);
      return renderTable(["id", "app", "host", "state", "since", "message"], rows, noTasks(opts));
    });
  });
  addTaskExecCommand(task);
  addTaskMetricsCommand(task);
  addTaskLogCommand(task);
  return task;
}
