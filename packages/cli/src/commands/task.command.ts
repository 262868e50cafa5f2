import type { Command } from "commander";
import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";

/** The Mesos name of a task state (`TASK_RUNNING`). */
export function taskStateLabel(state: schedulerV1Model.TaskState): string {
  return `TASK_${schedulerV1Model.TaskState[state]}`;
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
  ).action(async (opts: OutputOptions & { app?: string; all?: boolean }) => {
    const result = await withClient((api) => api.scheduler.listTasks({ appId: opts.app ?? "", includeTerminal: opts.all ?? false }));
    printResult(opts, schedulerV1.ListTasksResponseSchema, result, () => {
      const rows = result.tasks.map((t) => [t.taskId, t.appId, t.host, taskStateLabel(t.state), t.updatedAt, t.message]);
      return renderTable(["id", "app", "host", "state", "since", "message"], rows);
    });
  });
  return task;
}
