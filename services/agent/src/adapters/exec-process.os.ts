import { spawn as spawnPipes } from "node:child_process";
import { constants } from "node:os";
import type { IPty } from "@lydell/node-pty";
import type { ExecExit, ExecProcess } from "../app/exec-session.ts";
import { signalName } from "./signal-name.ts";

/** How an exec session's process is started (argv already wrapped to join the task's world). */
export interface ExecProcessSpec {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A PTY (stdout and stderr merged, as on a terminal), else pipes. */
  tty: boolean;
  columns: number;
  rows: number;
  /** TERM of the PTY. */
  term: string;
}

/** A started exec process, with its pid (the leader of its process group). */
export type StartedExecProcess = ExecProcess & { readonly pid: number };

/** Signals a process group, never 0 or 1 (the agent's own group, every process); a gone group is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!(pgid > 1)) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/**
 * Starts an exec process: with a PTY through node-pty (the child leads its own session, the PTY
 * is its controlling terminal), else with pipes, detached into its own process group. Either
 * way `kill` reaches every process the command started (its group).
 */
export async function startExecProcess(spec: ExecProcessSpec): Promise<StartedExecProcess> {
  return spec.tty ? ptyProcess(spec, await nodePty()) : pipeProcess(spec);
}

/** node-pty (a native addon), loaded at the first PTY session only: an agent that never gives one does not pay its memory. */
let ptyModule: Promise<typeof import("@lydell/node-pty")> | undefined;
const nodePty = () => (ptyModule ??= import("@lydell/node-pty"));

function ptyProcess(spec: ExecProcessSpec, ptys: typeof import("@lydell/node-pty")): StartedExecProcess {
  const [file, ...args] = spec.argv;
  const pty: IPty = ptys.spawn(file!, args, { name: spec.term, cols: spec.columns, rows: spec.rows, cwd: spec.cwd, env: spec.env as Record<string, string>, encoding: null });
  let listener: (stream: "stdout" | "stderr", data: Buffer) => void = () => {};
  let done = false;
  pty.onData((data) => listener("stdout", data as unknown as Buffer));
  const exited = new Promise<ExecExit>((resolve) => {
    pty.onExit(({ exitCode, signal }) => {
      done = true;
      // node-pty emits exit after the PTY's output was read to its end (EIO on the master).
      resolve(signal ? { exitCode: 128 + signal, signal: signalName(signal) } : { exitCode, signal: "" });
    });
  });
  return {
    pid: pty.pid,
    onOutput: (l) => void (listener = l),
    write: (data) => pty.write(Buffer.from(data) as unknown as string),
    closeStdin: () => pty.write("\x04"),
    resize: (columns, rows) => {
      if (!done) pty.resize(Math.max(1, columns), Math.max(1, rows));
    },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill: (signal = "SIGKILL") => {
      if (!done) signalGroup(pty.pid, signal);
    },
    exited,
  };
}

function pipeProcess(spec: ExecProcessSpec): StartedExecProcess {
  const [file, ...args] = spec.argv;
  const child = spawnPipes(file!, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  let listener: (stream: "stdout" | "stderr", data: Buffer) => void = () => {};
  let done = false;
  child.stdout!.on("data", (d: Buffer) => listener("stdout", d));
  child.stderr!.on("data", (d: Buffer) => listener("stderr", d));
  child.stdin!.on("error", () => {}); // EPIPE when the command does not read its stdin
  const exited = new Promise<ExecExit>((resolve) => {
    child.once("error", (err) => {
      done = true;
      listener("stderr", Buffer.from(`exec: ${err.message}\n`));
      resolve({ exitCode: 127, signal: "" });
    });
    // "close": the process ended and its stdout/stderr were read to their end.
    child.once("close", (code, signal) => {
      done = true;
      if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ exitCode: code ?? 0, signal: "" });
    });
  });
  return {
    pid: child.pid ?? 0,
    onOutput: (l) => void (listener = l),
    write: (data) => void child.stdin!.write(data),
    closeStdin: () => void child.stdin!.end(),
    resize: () => {},
    pause: () => {
      child.stdout!.pause();
      child.stderr!.pause();
    },
    resume: () => {
      child.stdout!.resume();
      child.stderr!.resume();
    },
    kill: (signal = "SIGKILL") => {
      if (!done && child.pid !== undefined) signalGroup(child.pid, signal);
    },
    exited,
  };
}
