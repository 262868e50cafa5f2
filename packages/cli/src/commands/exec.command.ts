import type { Command } from "commander";
import { GantryError } from "@gantry/platform";
import type { schedulerV1Model } from "@gantry/proto";
import type { ApiClient } from "../api-client.ts";
import { withClient } from "./command-kit.ts";
import { runExecSession } from "./exec-session.ts";

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
}

/** The exit code the last exec asked the CLI to exit with (see `takeExecExitCode`). */
let requestedExitCode = 0;

/** The exit code an exec command left for the CLI (its command's), reset to 0 once taken. */
export function takeExecExitCode(): number {
  const code = requestedExitCode;
  requestedExitCode = 0;
  return code;
}

const EXEC_HELP = `The command runs in the task's world: its sandbox as working directory, its environment, its
user, its cgroups and its network and mount namespaces. Its exit code becomes gantry's (128+n when
killed by signal n). With -t, Ctrl-P Ctrl-Q leaves the session (which ends it).

Examples:
  gantry task exec shop_web -- cat /proc/self/cgroup
  gantry task exec -i -t shop_web.3f2a -- /bin/bash
  echo 'SELECT 1' | gantry task exec -i db -- psql`;

/**
 * The task a (partial) id names among the live tasks: the one with exactly that id, else the
 * only one whose id contains it. None: NotFound; several: InvalidArgument listing them.
 */
export function resolveTask(tasks: readonly schedulerV1Model.Task[], given: string): schedulerV1Model.Task {
  const exact = tasks.find((t) => t.taskId === given);
  if (exact) return exact;
  const matches = tasks.filter((t) => t.taskId.includes(given));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new GantryError("NotFound", `no running task matches "${given}"`);
  throw new GantryError("InvalidArgument", `"${given}" matches ${matches.length} tasks; give more of the id:\n${matches.map((t) => `  ${t.taskId}  (${t.appId})`).join("\n")}`);
}

/** The task of container `container` in the pod instance a (partial) instance id names. */
export function resolvePodTask(tasks: readonly schedulerV1Model.Task[], instance: string, container: string): schedulerV1Model.Task {
  const ofContainer = tasks.filter((t) => t.taskId === `${t.instanceId}.${container}`);
  const exact = ofContainer.find((t) => t.instanceId === instance);
  if (exact) return exact;
  const matches = ofContainer.filter((t) => t.instanceId.includes(instance));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new GantryError("NotFound", `no running pod instance matching "${instance}" has a container "${container}"`);
  throw new GantryError("InvalidArgument", `"${instance}" matches ${matches.length} pod instances; give more of the id:\n${matches.map((t) => `  ${t.instanceId}  (${t.appId})`).join("\n")}`);
}

async function execInto(api: ApiClient, pick: (tasks: schedulerV1Model.Task[]) => schedulerV1Model.Task, command: string[], flags: ExecFlags): Promise<void> {
  if (command.length === 0) throw new GantryError("InvalidArgument", "give the command to run after the task (gantry task exec <task> -- <cmd> [args…])");
  const { tasks } = await api.scheduler.listTasks({});
  const task = pick(tasks);
  requestedExitCode = await runExecSession(api, { taskId: task.taskId, command, interactive: flags.interactive ?? false, tty: flags.tty ?? false }, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

/** `gantry task exec [-i] [-t] <task> [--] <cmd> [args…]`. */
export function addTaskExecCommand(task: Command): void {
  task
    .command("exec")
    .description("run a command in a running task (output only; -i streams stdin; -t gives a terminal)")
    .option("-i, --interactive", "stream stdin to the command")
    .option("-t, --tty", "allocate a terminal (the local one goes raw; its size follows)")
    .argument("<task>", "task id, or a unique part of one")
    .argument("[command...]", "the command and its arguments (after --)")
    .addHelpText("after", `\n${EXEC_HELP}`)
    .action(async (given: string, command: string[], flags: ExecFlags) => {
      await withClient((api) => execInto(api, (tasks) => resolveTask(tasks, given), command, flags));
    });
}

/** `gantry pod exec [-i] [-t] <instance> <container> [--] <cmd> [args…]`. */
export function addPodExecCommand(pod: Command): void {
  pod
    .command("exec")
    .description("run a command in a container of a running pod instance")
    .option("-i, --interactive", "stream stdin to the command")
    .option("-t, --tty", "allocate a terminal (the local one goes raw; its size follows)")
    .argument("<instance>", "pod instance id, or a unique part of one")
    .argument("<container>", "the container's name")
    .argument("[command...]", "the command and its arguments (after --)")
    .action(async (instance: string, container: string, command: string[], flags: ExecFlags) => {
      await withClient((api) => execInto(api, (tasks) => resolvePodTask(tasks, instance, container), command, flags));
    });
}
