import { Command } from "commander";
import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { messageJson, printJson, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { withClient } from "./app.command.ts";

/** The Mesos name of a task state (`TASK_RUNNING`). */
export function taskStateLabel(state: schedulerV1Model.TaskState): string {
  return `TASK_${schedulerV1Model.TaskState[state]}`;
}

/** `gantry task …`: list tasks. */
export function taskCommand(): Command {
  const task = new Command("task").description("inspect tasks");
  task
    .command("list")
    .description("list tasks with their app, agent and state")
    .option("--app <id>", "only this app's tasks")
    .option("--all", "include finished, failed and killed tasks")
    .option("--json", "print the result as JSON")
    .action(async (opts: OutputOptions & { app?: string; all?: boolean }) => {
      const result = await withClient((api) => api.scheduler.listTasks({ appId: opts.app ?? "", includeTerminal: opts.all ?? false }));
      if (opts.json) return printJson(messageJson(schedulerV1.ListTasksResponseSchema, result));
      const rows = result.tasks.map((t) => [t.taskId, t.appId, t.host, taskStateLabel(t.state), t.updatedAt, t.message]);
      process.stdout.write(renderTable(["id", "app", "host", "state", "since", "message"], rows) + "\n");
    });
  return task;
}
