import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A Gantry service running as its own process, with the tail of its output for failure messages. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code or signal once the process ended. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** The last lines it wrote (stdout and stderr). */
  output(): string;
  /** Whether anything it ever wrote (stdout or stderr) contains `text` (a search of its logs). */
  wrote(text: string): boolean;
  /** kill -9: the process dies at once, whatever it was doing. */
  crash(): Promise<void>;
  /** SIGTERM and wait (then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <entry> ...args` from the repository root with `env` added to this process's
 * environment. Output is kept (last 200 lines) rather than printed, so a failing test can show it.
 */
export function startServiceProcess(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv): ServiceProcess {
  return startProcess(name, process.execPath, [path.join(REPO, entry), ...args], env);
}

/**
 * Starts any program (`command ...args`, e.g. a `nats-server`) from the repository root the way
 * startServiceProcess starts a service: `env` added to this process's environment, output kept.
 */
export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ServiceProcess {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const everything: string[] = [];
  const keep = (chunk: Buffer) => {
    everything.push(chunk.toString("utf8"));
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? code));
    // A program that cannot be started (not found, not executable) never exits: it ended here.
    child.once("error", (err) => {
      if (child.pid === undefined) resolve(null);
      keep(Buffer.from(`${command}: ${err.message}`));
    });
  });
  const alive = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    pid: child.pid!,
    exited,
    output: () => lines.map((l) => `[${name}] ${l}`).join("\n"),
    wrote: (text) => everything.join("").includes(text),
    async crash() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => alive() && child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port free on loopback right now (for a service started with `--port`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
