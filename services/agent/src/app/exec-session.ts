import type { MessageInitShape } from "@bufbuild/protobuf";
import type { agentV1Service } from "@gantry/proto";

/** How the command of an exec session ended: exit code (128+n for signal n) and the signal's name. */
export interface ExecExit {
  exitCode: number;
  signal: string;
}

/** A running exec process, as the session drives it (see adapters/exec-process.os.ts). */
export interface ExecProcess {
  onOutput(listener: (stream: "stdout" | "stderr", data: Buffer) => void): void;
  write(data: Uint8Array): void;
  closeStdin(): void;
  resize(columns: number, rows: number): void;
  pause(): void;
  resume(): void;
  /** Signals its whole process group (default SIGKILL); nothing once it ended. */
  kill(signal?: NodeJS.Signals): void;
  /** Once it ended and all its output went to the listener. */
  readonly exited: Promise<ExecExit>;
}

type Response = MessageInitShape<typeof agentV1Service.ExecResponseSchema>;

/** One output message to send: chunks of one stream, in order, `size` bytes together (at most MAX_MESSAGE_BYTES). */
export interface ExecOutput {
  stream: "stdout" | "stderr";
  parts: Buffer[];
  size: number;
}

/** The next output message: the first chunk queued, with the chunks of the same stream right after it, up to MAX_MESSAGE_BYTES. */
export function takeOutput(queue: { stream: "stdout" | "stderr"; data: Buffer }[]): ExecOutput | undefined {
  const first = queue.shift();
  if (!first) return undefined;
  const output: ExecOutput = { stream: first.stream, parts: [first.data], size: first.data.length };
  while (queue.length > 0 && queue[0]!.stream === first.stream && output.size + queue[0]!.data.length <= MAX_MESSAGE_BYTES) {
    const more = queue.shift()!;
    output.parts.push(more.data);
    output.size += more.data.length;
  }
  return output;
}

/** Output held for the client beyond which the process is paused (flow control), and below which it resumes. */
const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = 256 << 10;
/**
 * Output is sent in messages of at most this size (gRPC's default limit is 4 MiB): output that
 * piled up while the previous message was sent goes out together, so a busy machine (where each
 * wake-up costs milliseconds) still moves a `cat` of a large file in few messages.
 */
const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * Drives one session: the client's messages after `start` (stdin, resize, close_stdin) go to the
 * process; its output comes back as stdout/stderr messages built by `encode` (the endpoint
 * encodes the chunks straight into one wire message: no copy to join them first), then
 * `exited` last. Output waiting
 * for a slow client beyond 1 MiB pauses the process's output (so a `cat` of a large file cannot
 * fill the agent's memory). The session ends when the process ended and its output was sent,
 * when the client closes the call (`signal`) or its stream fails. Returns the exit, or undefined
 * when the session was cut before it. The caller kills the process group afterwards, however the
 * session ended (also when it never got here).
 */
export async function* driveExecSession<Out>(
  proc: ExecProcess,
  requests: AsyncIterator<{ message: { case: string | undefined; value?: unknown } }>,
  signal: AbortSignal,
  encode: (output: ExecOutput) => Out,
): AsyncGenerator<Response | Out, ExecExit | undefined> {
  /** Output not yet sent, in order. */
  const queue: { stream: "stdout" | "stderr"; data: Buffer }[] = [];
  let queued = 0;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let exit: ExecExit | undefined;
  let cut = false;
  proc.onOutput((stream, data) => {
    for (let at = 0; at < data.length; at += MAX_MESSAGE_BYTES) {
      const chunk = data.subarray(at, at + MAX_MESSAGE_BYTES);
      queue.push({ stream, data: chunk });
      queued += chunk.length;
    }
    if (!paused && queued > HIGH_WATER_BYTES) {
      paused = true;
      proc.pause();
    }
    notify();
  });
  void proc.exited.then((e) => {
    exit = e;
    notify();
  });
  const stop = () => {
    cut = true;
    notify();
  };
  signal.addEventListener("abort", stop, { once: true });
  void (async () => {
    try {
      for (;;) {
        const next = await requests.next();
        if (next.done) return; // half-close: the client sends nothing more; output still flows
        const m = next.value.message;
        if (m.case === "stdin") proc.write(m.value as Uint8Array);
        else if (m.case === "resize") {
          const size = m.value as { columns: number; rows: number };
          proc.resize(size.columns, size.rows);
        } else if (m.case === "closeStdin") proc.closeStdin();
      }
    } catch {
      stop(); // the client's stream failed (cancelled, connection lost)
    }
  })();
  try {
    for (;;) {
      if (cut) return undefined;
      // One event-loop turn first: the pipe's other reads of this poll join the message, so a
      // stream of output goes out in few large messages (each one costs the same to send).
      if (queue.length > 0 && queued < MAX_MESSAGE_BYTES) await new Promise<void>((resolve) => setImmediate(resolve));
      if (cut) return undefined;
      const next = takeOutput(queue);
      if (next) {
        queued -= next.size;
        if (paused && queued < LOW_WATER_BYTES) {
          paused = false;
          proc.resume();
        }
        yield encode(next);
        continue;
      }
      if (exit) {
        yield { message: { case: "exited", value: { exitCode: exit.exitCode, signal: exit.signal } } };
        return exit;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
