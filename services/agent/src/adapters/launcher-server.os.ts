import { spawn, type ChildProcess } from "node:child_process";
import { signalName } from "./signal-name.ts";

/** What the launcher server is asked to start: one program, detached, in its directory, output appended to files. */
export interface ServerStart {
  /** argv[0] is the program's path (not looked up in PATH). */
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  stdout: string;
  stderr: string;
}

/** A program the server started: its pid (= its process group, a session of its own) and start time. */
export interface ServerStarted {
  pid: number;
  startTicks: number;
  /** Settles when it ended (`signal`: what ended it, if a signal did), or with `lost` when the server died first. */
  ended: Promise<{ signal: string | undefined } | "lost">;
}

/** Thrown for a start in flight when the server died: whether the program began is not known from here. */
export class LauncherServerLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LauncherServerLost";
  }
}

interface Pending {
  resolve(started: ServerStarted): void;
  reject(err: Error): void;
}

/** One running `gantry-task-launcher serve` and what it was asked. */
interface Server {
  child: ChildProcess;
  pending: Map<string, Pending>;
  running: Map<number, (end: { signal: string | undefined } | "lost") => void>;
  dead: boolean;
}

/**
 * The agent's side of `gantry-task-launcher serve` (launcher/src/serve-mode.c): a small process
 * started once that forks and execs each task's launcher, because forking the agent itself (a
 * Node process with ~100 MB mapped) costs milliseconds per task. Requests are length-prefixed
 * NUL-separated words on its stdin; it answers `started`/`failed` lines in request order and an
 * `exited` line when a program it started ends.
 *
 * Failure: when the server dies, a start in flight rejects with `LauncherServerLost` (the caller
 * looks at the launcher's pid file: a launcher that did not write one died with the server),
 * every program it started and that still runs resolves `ended` with "lost" (the caller then
 * watches it as after an agent restart; the programs themselves are unaffected), and the next
 * start runs a new server. `close()` ends the server (stdin closed: it answers what it was
 * asked before, then exits); what it started keeps running; later starts are refused.
 */
/**
 * The largest start request the server takes (`MAX_REQUEST` in launcher/src/serve-mode.c, which
 * exits on a larger one: a request is refused here first, so one task's huge environment cannot
 * end the server under other tasks' starts).
 */
export const MAX_START_REQUEST_BYTES = 8 << 20;

export class LauncherServer {
  private readonly program: string;
  private server: Server | undefined;
  private nextId = 1;
  private closed = false;

  constructor(program: string) {
    this.program = program;
  }

  /** Starts `start.argv` through the server (running one first when none runs). Rejects when it could not be started. */
  start(start: ServerStart): Promise<ServerStarted> {
    const words = [String(this.nextId++), start.cwd, start.stdout, start.stderr, String(start.argv.length), ...start.argv, ...Object.entries(start.env).map(([k, v]) => `${k}=${v}`)];
    if (words.some((w) => w.includes("\0"))) return Promise.reject(new Error("a start request's argument or environment contains a NUL byte"));
    if (this.closed) return Promise.reject(new Error("the task launcher server was closed (the agent is stopping)"));
    const payload = Buffer.from(`${words.join("\0")}\0`, "utf8");
    if (payload.length > MAX_START_REQUEST_BYTES) return Promise.reject(new Error(`a start request of ${payload.length} bytes (arguments and environment) is above the launcher's ${MAX_START_REQUEST_BYTES}`));
    const server = this.running();
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    payload.copy(frame, 4);
    return new Promise<ServerStarted>((resolve, reject) => {
      server.pending.set(words[0]!, { resolve, reject });
      // Kept alive while a start is answered, not in between (a test process may end while the server idles).
      this.hold(server);
      server.child.stdin!.write(frame);
    });
  }

  /** Ends the server (the programs it started keep running, re-parented to init). */
  close(): void {
    this.closed = true;
    const server = this.server;
    this.server = undefined;
    if (server && !server.dead) server.child.stdin!.end();
  }

  private running(): Server {
    if (this.server && !this.server.dead) return this.server;
    const child = spawn(this.program, ["serve"], { stdio: ["pipe", "pipe", "inherit"] });
    const server: Server = { child, pending: new Map(), running: new Map(), dead: false };
    this.server = server;
    let rest = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.answer(server, line);
    });
    child.stdin!.on("error", () => {}); // EPIPE: the exit below says it
    const lost = (why: string) => {
      if (server.dead) return;
      server.dead = true;
      for (const p of server.pending.values()) p.reject(new LauncherServerLost(`the task launcher server ${why} while starting a task`));
      server.pending.clear();
      for (const ended of server.running.values()) ended("lost");
      server.running.clear();
    };
    child.once("error", (err) => lost(`could not run (${err.message})`));
    // 'close', not 'exit': its last answers may still be in the pipe when it exited.
    child.once("close", (code, signal) => lost(`ended (${signal ?? `exit code ${code}`})`));
    this.release(server);
    return server;
  }

  private answer(server: Server, line: string): void {
    const [kind, a, b, c] = line.split(" ");
    if (kind === "started" || kind === "failed") {
      const p = server.pending.get(a!);
      if (!p) return;
      server.pending.delete(a!);
      if (server.pending.size === 0) this.release(server);
      if (kind === "failed") return p.reject(new Error(line.slice(`failed ${a} `.length)));
      const pid = Number(b);
      const ended = new Promise<{ signal: string | undefined } | "lost">((resolve) => server.running.set(pid, resolve));
      p.resolve({ pid, startTicks: Number(c), ended });
    } else if (kind === "exited") {
      const pid = Number(a);
      const signal = Number(c);
      server.running.get(pid)?.({ signal: signal > 0 ? signalName(signal) : undefined });
      server.running.delete(pid);
    }
  }

  private hold(server: Server): void {
    server.child.ref();
    (server.child.stdout as unknown as { ref(): void }).ref();
  }

  private release(server: Server): void {
    server.child.unref();
    (server.child.stdout as unknown as { unref(): void }).unref();
    (server.child.stdin as unknown as { unref?(): void }).unref?.();
  }
}
