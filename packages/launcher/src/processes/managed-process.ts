import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { GantryError } from "@gantry/platform";

/** How a child process ended. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** Set when it could not be started at all (ENOENT, EACCES). */
  error?: Error;
}

/** Where a child's stdout and stderr go: appended to a file, or handed over line by line. */
export type ProcessOutput = { file: string } | { lines: (line: string) => void };

/** A child process the launcher started and must stop: a server (PostgreSQL, NATS) or an agent. */
export interface ManagedProcess {
  /** What it is, for messages: "PostgreSQL", "agent-2". */
  readonly name: string;
  readonly pid: number | undefined;
  readonly exited: Promise<ExitStatus>;
  readonly hasExited: boolean;
  /** Its last lines of output (for an error message that says why it died). */
  recentOutput(): string;
  /** Sends `signal`; after `graceMs` without an exit, SIGKILL. Resolves once it has exited. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

const RECENT_LINES = 15;

/**
 * Starts `command` (program and arguments) with its output going to `output`, in `env`. With
 * `detached`, the child leads a session of its own and does not keep this process alive (it
 * outlives it). Never throws: a failed start shows in `exited`.
 */
export function spawnManaged(name: string, command: readonly string[], output: ProcessOutput, options: { env?: NodeJS.ProcessEnv; detached?: boolean } = {}): ManagedProcess {
  const fd = "file" in output ? openSync(output.file, "a", 0o600) : undefined;
  const recent: string[] = [];
  const stdio = fd === undefined ? (["ignore", "pipe", "pipe"] as const) : (["ignore", fd, fd] as const);
  const child = spawn(command[0]!, command.slice(1), { env: options.env ?? process.env, stdio: [...stdio], detached: options.detached ?? false });
  if (fd !== undefined) closeSync(fd);
  if (options.detached) child.unref();
  if ("lines" in output) {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on("line", (line) => {
        recent.push(line);
        if (recent.length > RECENT_LINES) recent.shift();
        output.lines(line);
      });
    }
  }
  let hasExited = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  }).then((status) => {
    hasExited = true;
    return status;
  });
  return {
    name,
    pid: child.pid,
    exited,
    get hasExited() {
      return hasExited;
    },
    recentOutput: () => ("file" in output ? tailOfFile(output.file) : recent.join("\n")),
    async stop(signal, graceMs) {
      if (hasExited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Describes how `process` ended, with its last output: the body of every "it died" error. */
export function describeExit(process: ManagedProcess, status: ExitStatus): string {
  const how = status.error ? `could not be started (${status.error.message})` : status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const output = process.recentOutput().trim();
  return `${process.name} ${how}${output ? `; its last output:\n${output}` : ""}`;
}

/**
 * Polls `probe` (every 100 ms; a throw means "not yet") until it returns a value, and returns it.
 * Fails with Unavailable as soon as one of the `watched` processes exits (saying how, with its
 * last output), or after `timeoutMs` (with the probe's last error).
 */
export async function untilReady<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs: number; watched: readonly ManagedProcess[] }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = options.watched.find((p) => p.hasExited);
    if (dead) throw new GantryError("Unavailable", `${what}: ${describeExit(dead, await dead.exited)}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new GantryError("Unavailable", `${what}: not ready after ${Math.round(options.timeoutMs / 1000)} s${why}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A server process to start: its command, log file, how to tell it is ready, how to stop it. */
export interface ServerSpec {
  name: string;
  command: readonly string[];
  logFile: string;
  /** What is waited for, in messages: "PostgreSQL on 127.0.0.1:5433 (log: …)". */
  what: string;
  /** Resolves (with anything) once the server serves; a throw means "not yet". */
  ready: () => Promise<unknown>;
  readyTimeoutMs: number;
  stopSignal: NodeJS.Signals;
  stopGraceMs: number;
}

/**
 * Starts a server with its output appended to its log file and resolves, with how to stop it,
 * once it is ready. When it dies or is not ready in time, it is stopped and the wait's error
 * (Unavailable, quoting the log's last lines) is thrown.
 */
export async function startServer(spec: ServerSpec): Promise<() => Promise<void>> {
  const server = spawnManaged(spec.name, spec.command, { file: spec.logFile });
  const stop = () => server.stop(spec.stopSignal, spec.stopGraceMs);
  try {
    await untilReady(spec.what, async () => (await spec.ready(), true), { timeoutMs: spec.readyTimeoutMs, watched: [server] });
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

function tailOfFile(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-RECENT_LINES).join("\n");
  } catch {
    return "";
  }
}
