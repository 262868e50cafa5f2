import { InvalidArgumentError, type Command } from "commander";
import { toJson, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { logsV1, readLogLines, type LogLinesReader } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import type { ApiClient } from "../api-client.ts";
import { listenForInterruption } from "../interruption.ts";
import { commandGroup, withClient } from "./command-kit.ts";
import { parseDuration } from "./metrics.command.ts";

type LogFilterInit = MessageInitShape<typeof logsV1.LogFilterSchema>;

/** The switches every log command shares. */
interface LogOptions {
  follow?: boolean;
  lines: number;
  json?: boolean;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

function lineCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new InvalidArgumentError("must be a whole number of lines, 0 to 10000");
  return n;
}

function levelOf(value: string): number {
  const level = LEVELS[value.toLowerCase()];
  if (level === undefined) throw new InvalidArgumentError(`must be one of ${Object.keys(LEVELS).join(", ")}`);
  return level;
}

function withLogSwitches(cmd: Command, defaultLines: number): Command {
  return cmd
    .option("-f, --follow", "keep printing new lines as they are shipped (Ctrl-C ends)")
    .option("-n, --lines <n>", "print the last N lines first", lineCount, defaultLines)
    .option("--json", "one JSON object per line (its cursor, time, level and text with its gantry.logs.v1.LogSource's fields) instead of text");
}

/** How line `i` of an answer is printed. */
type RenderLine = (lines: LogLinesReader, i: number) => string;

/**
 * Line `i` of an answer as `--json` prints it: its cursor, time (µs, as a string: int64's JSON),
 * its source's LogSource fields (agentId, taskId, …), level and text, with proto3 defaults (a zero
 * time or level, an empty text) left out: the object `--json` printed when each line was a
 * `LogLine` message.
 */
export function logLineJson(lines: LogLinesReader, i: number): string {
  const time = lines.timeUnixMicros(i);
  const level = lines.level(i);
  const text = lines.text(i);
  return JSON.stringify({
    cursor: lines.cursor(i),
    timeUnixMicros: time === 0 ? undefined : String(time),
    ...(toJson(logsV1.LogSourceSchema, lines.source(i)) as JsonObject),
    level: level === 0 ? undefined : level,
    text: text === "" ? undefined : text,
  });
}

/**
 * Prints the last `lines` lines matching `filter`, then, with --follow, every new one until Ctrl-C.
 * Follow starts from the last line printed (its cursor), so nothing is skipped or printed twice.
 */
async function printLogs(api: ApiClient, filter: LogFilterInit, opts: LogOptions, render: RenderLine): Promise<void> {
  const print = opts.json ? logLineJson : render;
  const write = (answer: logsV1.QueryLogsResponse | logsV1.FollowLogsResponse) => {
    const lines = readLogLines(answer);
    let out = "";
    for (let i = 0; i < lines.count; i++) out += `${print(lines, i)}\n`;
    if (out) process.stdout.write(out);
  };
  if (!opts.follow) {
    const answer = await api.logs.queryLogs({ filter, skipPrev: opts.lines || 1, limit: 0 });
    if (opts.lines > 0) write(answer);
    return;
  }
  const interruption = listenForInterruption({ forced: "stopped" });
  const abort = new AbortController();
  void interruption.requested.then(() => abort.abort());
  try {
    for await (const r of api.logs.followLogs({ filter, skipPrev: opts.lines }, { signal: abort.signal, deadlineMs: 365 * 24 * 3600 * 1000 })) write(r);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    interruption.dispose();
  }
}

/**
 * The task a partial id names: an exact id, else the one task whose id contains it among the
 * scheduler's tasks (ended ones included), else among the tasks with stored output. Throws
 * NotFound when none matches and InvalidArgument listing the candidates when several do.
 */
export async function resolveTaskId(api: ApiClient, partial: string): Promise<string> {
  const known = (await api.scheduler.listTasks({ appId: "", includeTerminal: true })).tasks.map((t) => t.taskId);
  if (known.includes(partial)) return partial;
  let candidates = [...new Set(known.filter((id) => id.includes(partial)))];
  if (candidates.length === 0) {
    const { sources } = await api.logs.queryLogs({ filter: { taskIdPrefix: partial }, skipPrev: 1000, limit: 0 });
    candidates = [...new Set(sources.map((s) => s.taskId))];
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new GantryError("NotFound", `no task matches '${partial}' (see \`gantry task list --all\`)`);
  throw new GantryError("InvalidArgument", `'${partial}' matches ${candidates.length} tasks; give more of the id:\n  ${candidates.sort().join("\n  ")}`);
}

const levelName = (level: number) => LEVEL_NAMES[level] ?? String(level);

/** `gantry task log <task>`: a task's stdout (or --stderr), last lines then --follow. */
export function addTaskLogCommand(task: Command): void {
  withLogSwitches(task.command("log").description("print a task's output (stdout, or --stderr), also of a task that ended; --follow for new lines").argument("<task>", "task id, or a unique part of it"), 10)
    .option("--stderr", "the task's stderr instead of its stdout")
    .action(async (partial: string, opts: LogOptions & { stderr?: boolean }) => {
      await withClient(async (api) => {
        const taskId = await resolveTaskId(api, partial);
        await printLogs(api, { taskId, stream: opts.stderr ? "stderr" : "stdout" }, opts, (lines, i) => lines.text(i));
      });
    });
}

/** `gantry node log <agent>`: an agent's own logs. */
export function addNodeLogCommand(node: Command): void {
  withLogSwitches(node.command("log").description("print an agent's own logs (its structured log lines); --follow for new lines").argument("<agentId>", "agent id (see `gantry node list`)"), 20)
    .option("--level <level>", "at least this level (trace, debug, info, warn, error, fatal)", levelOf)
    .action(async (agentId: string, opts: LogOptions & { level?: number }) => {
      await withClient((api) => printLogs(api, { agentId, stream: "log", ...(opts.level ? { minLevel: opts.level } : {}) }, opts, (lines, i) => `${lines.isoTime(i)} ${levelName(lines.level(i))} ${lines.source(i).component} ${lines.text(i)}`));
    });
}

/** `gantry log`: the control plane's own logs (and agents'), by component, level and time. */
export function logCommand(): Command {
  const cmd = commandGroup("log", "print the control plane's own logs: by component, level and time; --follow for new lines", `Examples:
  gantry log --component scheduler --level warn --since 10m
  gantry log --component registry --grep deployment --follow`);
  withLogSwitches(cmd, 50)
    .option("--component <name>", "only this component's lines (scheduler, registry, gateway, logs, agent, …)")
    .option("--level <level>", "at least this level (trace, debug, info, warn, error, fatal)", levelOf)
    .option("--since <duration>", "only lines of the last 30s, 15m, 2h, 1d", parseDuration)
    .option("--grep <text>", "only lines containing this text (case-insensitive)")
    .action(async (opts: LogOptions & { component?: string; level?: number; since?: number; grep?: string }) => {
      const filter: LogFilterInit = {
        stream: "log",
        ...(opts.component ? { component: opts.component } : {}),
        ...(opts.level ? { minLevel: opts.level } : {}),
        ...(opts.since ? { sinceUnixMicros: BigInt(Date.now() - opts.since) * 1000n } : {}),
        ...(opts.grep ? { text: opts.grep } : {}),
      };
      await withClient((api) => printLogs(api, filter, opts, (lines, i) => {
        const s = lines.source(i);
        return `${lines.isoTime(i)} ${levelName(lines.level(i))} ${s.component}${s.agentId ? `@${s.agentId}` : ""} ${lines.text(i)}`;
      }));
    });
  return cmd;
}
