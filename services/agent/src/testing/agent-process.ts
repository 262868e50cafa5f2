/**
 * Runs the agent as its own process (`main.ts`) for the crash tests: a test can `kill -9` it and
 * start another on the same work directory. Test support only (not a `*.test.ts` file).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually, within } from "@gantry/platform/testing";
import { AGENT_NODE_FLAGS } from "../agent-node-flags.ts";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "main.ts");

/** An agent process and everything it printed (shown when a test fails). */
export interface AgentProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What an agent process is started with. */
export interface AgentProcessOptions {
  agentId: string;
  workDir: string;
  cluster: string;
  natsUrl: string;
  /** cgroup isolation (root only) or plain processes. */
  cgroups: boolean;
  /** The agent's entry point: `main.ts` (default) or a built `dist/gantry-agent.mjs`. */
  entry?: string;
  /** What the agent offers (default 2 cpus, 1 GiB of memory and of disk). */
  resources?: { cpus: number; mem: number; disk: number };
  /** Node's own flags, before the entry point (default: the agent's own, `AGENT_NODE_FLAGS`). */
  nodeFlags?: readonly string[];
}

/** Starts an agent process; SIGTERM then kills what is left of its tasks and removes its cgroups. */
export function startAgentProcess(options: AgentProcessOptions): AgentProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? AGENT_NODE_FLAGS),
      options.entry ?? MAIN,
      "--agent-id", options.agentId,
      "--work-dir", options.workDir,
      "--cluster", options.cluster,
      "--nats-url", options.natsUrl,
      "--cpus", String(options.resources?.cpus ?? 2),
      "--mem", String(options.resources?.mem ?? 1024),
      "--disk", String(options.resources?.disk ?? 1024),
      "--isolation", options.cgroups ? "cgroups" : "none",
      "--kill-tasks-on-exit",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GANTRY_LOG_LEVEL: process.env.GANTRY_LOG_LEVEL ?? "info" } },
  );
  const output: string[] = [];
  child.stdout!.on("data", (d: Buffer) => output.push(d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => output.push(d.toString("utf8")));
  // 'exit', not 'close': the pipes may outlive the process.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

/** Whether `pid` is a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Signals `pid` (a negative pid: its group), ignoring that it is already gone. */
export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Test cleanup: SIGTERMs every agent process still running (SIGKILL when one does not exit within 15 s, recorded in `problems`). */
export async function stopAgentProcesses(agents: readonly AgentProcess[], problems: string[]): Promise<void> {
  for (const p of agents) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill("SIGTERM");
    await within(`agent process ${p.child.pid} to exit on SIGTERM`, p.exited, 15_000).catch((err: Error) => {
      problems.push(err.message);
      p.child.kill("SIGKILL");
    });
  }
}

/** Test cleanup: those of `dirs` (cgroups, deepest first) that still exist are recorded in `problems` and removed. */
export async function removeLeftoverCgroups(dirs: readonly string[], problems: string[]): Promise<void> {
  const left = [...new Set(dirs)].filter((d) => existsSync(d));
  if (left.length > 0) problems.push(`cgroups left behind: ${left.join(", ")}`);
  for (const d of left) {
    await eventually(`${d} removed`, () => {
      if (existsSync(d)) rmdirSync(d);
      return true;
    }, 5_000).catch((err: Error) => problems.push(err.message));
  }
}
