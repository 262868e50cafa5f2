import type { agentV1Service } from "@gantry/proto";
import { GantryError, pushable } from "@gantry/platform";
import type { ApiClient } from "../api-client.ts";

type Request = agentV1Service.ExecRequest["message"];

/** Ctrl-P then Ctrl-Q: the client leaves the session (docker's detach keys). */
const CTRL_P = 0x10;
const CTRL_Q = 0x11;

/** What `gantry task exec` asks for. */
export interface ExecAsk {
  taskId: string;
  command: string[];
  /** -i: stream stdin. */
  interactive: boolean;
  /** -t: a PTY, the local terminal in raw mode. */
  tty: boolean;
}

/** The terminal a session runs on: the process's own, or one a test gives. */
export interface ExecTerminal {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; pause(): unknown; resume(): unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number; on(event: "resize", listener: () => void): unknown; off(event: "resize", listener: () => void): unknown };
  stderr: NodeJS.WritableStream;
}


/** Finds Ctrl-P Ctrl-Q in typed input (also split across reads): the bytes before it are still sent. */
export function detachScanner(): (chunk: Buffer) => { send: Buffer; detach: boolean } {
  let pendingCtrlP = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (pendingCtrlP && byte === CTRL_Q) return { send: chunk.subarray(0, Math.max(0, i - 1)), detach: true };
      pendingCtrlP = byte === CTRL_P;
    }
    return { send: chunk, detach: false };
  };
}

/**
 * Writes `data` and, when `stream` is full, waits until it drains (or closes): a slow terminal
 * or pipe holds up the session's output all the way to the command (the agent pauses it)
 * instead of piling up in the CLI's memory.
 */
async function writeOut(stream: NodeJS.WritableStream, data: Uint8Array): Promise<void> {
  // A stream already destroyed refuses the write and will never drain, close or fail again.
  if (stream.write(data) || (stream as NodeJS.WritableStream & { destroyed?: boolean }).destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

/**
 * Runs one exec session through the gateway and resolves with the exit code the CLI should
 * exit with: the command's (128+signal when killed), 0 when the user detached (Ctrl-P Ctrl-Q),
 * 130 after Ctrl-C without a PTY (the session is cancelled: the agent kills the command).
 * With `tty` and `interactive`, the local terminal is put in raw mode (when it is one) and
 * restored however the session ends; with `tty` its size is sent at the start and on every resize. Rejects with the gateway's
 * or agent's error (not found, not allowed, …) or when the session was cut before an exit.
 */
export async function runExecSession(api: ApiClient, ask: ExecAsk, term: ExecTerminal): Promise<number> {
  const requests = pushable<{ message: Request }>();
  const size = () => ({ columns: term.stdout.columns ?? 80, rows: term.stdout.rows ?? 24 });
  requests.push({ message: { case: "start", value: { taskId: ask.taskId, command: ask.command, tty: ask.tty, stdin: ask.interactive, ...(ask.tty ? { size: size(), term: process.env.TERM ?? "" } : {}) } as agentV1Service.ExecStart } });
  const cancel = new AbortController();
  let detached = false;
  let interrupted = false;
  const scan = detachScanner();
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const { send, detach } = ask.tty ? scan(bytes) : { send: bytes, detach: false };
    if (send.length > 0) requests.push({ message: { case: "stdin", value: send } });
    if (detach) {
      detached = true;
      cancel.abort();
    }
  };
  const onEnd = () => requests.push({ message: { case: "closeStdin", value: true } });
  const onResize = () => requests.push({ message: { case: "resize", value: size() as agentV1Service.TerminalSize } });
  const onSigint = () => {
    interrupted = true;
    cancel.abort();
  };
  // Raw only when the keys go to the remote terminal (-i -t): with -t alone, Ctrl-C must still stop gantry.
  const raw = ask.tty && ask.interactive && term.stdin.isTTY === true && typeof term.stdin.setRawMode === "function";
  if (raw) term.stdin.setRawMode!(true);
  if (ask.interactive) {
    term.stdin.on("data", onData);
    term.stdin.on("end", onEnd);
    term.stdin.resume();
  }
  if (ask.tty) term.stdout.on("resize", onResize);
  process.on("SIGINT", onSigint);
  let exit: agentV1Service.ExecExited | undefined;
  try {
    for await (const m of api.exec.exec(requests, { signal: cancel.signal })) {
      if (m.message.case === "stdout") await writeOut(term.stdout, m.message.value);
      else if (m.message.case === "stderr") await writeOut(term.stderr, m.message.value);
      else if (m.message.case === "exited") exit = m.message.value;
    }
  } catch (err) {
    if (!detached && !interrupted) throw err;
  } finally {
    requests.end();
    process.off("SIGINT", onSigint);
    if (ask.tty) term.stdout.off("resize", onResize);
    if (ask.interactive) {
      term.stdin.off("data", onData);
      term.stdin.off("end", onEnd);
      term.stdin.pause();
    }
    if (raw) term.stdin.setRawMode!(false);
  }
  if (detached) {
    term.stderr.write("\r\n[detached: the session is closed]\r\n");
    return 0;
  }
  if (interrupted) return 130;
  if (!exit) throw new GantryError("Unavailable", "the exec session ended without the command's exit status");
  return exit.exitCode;
}
