/**
 * The exec benchmark's client, in a worker thread of its own (its own event loop, as a CLI on a
 * laptop would have): opens sessions through the gateway's gRPC and measures them. Posts one
 * result message and exits.
 */
import { parentPort, workerData } from "node:worker_threads";
import { agentV1Service } from "@gantry/proto";
import { createGrpcClient, pushable } from "@gantry/platform";

type Request = agentV1Service.ExecRequest["message"];
const { target, token, taskId, sessions, keystrokes, file } = workerData as { target: string; token: string; taskId: string; sessions: number; keystrokes: number; file: string };
// The CLI's channel options (packages/cli/src/api-client.ts): an 8 MiB HTTP/2 window.
const client = createGrpcClient(agentV1Service.AgentService, target, { token, channelOptions: { "grpc-node.flow_control_window": 8 << 20 } });


const start = (command: string[], tty: boolean, stdin: boolean): Request => ({ case: "start", value: { taskId, command, tty, stdin, size: { columns: 80, rows: 24 } } as agentV1Service.ExecStart });

/** Session set-up: call → `started` (ticket, audit append, agent spawn), for `sessions` sessions of `true`, one after another. */
async function setup(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < sessions; i++) {
    const q = pushable<{ message: Request }>();
    q.push({ message: start(["true"], false, false) });
    q.end();
    const t0 = performance.now();
    for await (const m of client.exec(q)) if (m.message.case === "started") times.push(performance.now() - t0);
  }
  return times;
}

/** Keystroke echo: one byte typed into a PTY running `cat` → the same byte echoed back (the PTY's line discipline echoes). */
async function echo(): Promise<number[]> {
  const q = pushable<{ message: Request }>();
  q.push({ message: start(["cat"], true, true) });
  const times: number[] = [];
  let waiting: ((data: string) => void) | undefined;
  const session = (async () => {
    for await (const m of client.exec(q)) {
      if (m.message.case === "started") waiting?.("");
      if (m.message.case === "stdout") waiting?.(Buffer.from(m.message.value).toString("latin1"));
    }
  })();
  const next = () => new Promise<string>((resolve) => (waiting = resolve));
  await next(); // started
  const warmup = 100;
  for (let i = 0; i < keystrokes + warmup; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const seen = next();
    const t0 = performance.now();
    q.push({ message: { case: "stdin", value: Buffer.from(key) } });
    let got = await seen;
    while (!got.includes(key)) got += await next();
    if (i >= warmup) times.push(performance.now() - t0);
    if (i % 64 === 63) q.push({ message: { case: "stdin", value: Buffer.from("\r") } }); // keep cat's line short
  }
  q.push({ message: { case: "stdin", value: Buffer.from("\x04") } });
  q.push({ message: { case: "closeStdin", value: true } });
  await session;
  return times;
}

/** Throughput: `cat <file>` without a PTY, bytes received / (started → exited). */
async function throughput(): Promise<{ bytes: number; seconds: number; messages: number }> {
  const q = pushable<{ message: Request }>();
  q.push({ message: start(["cat", file], false, false) });
  q.end();
  let bytes = 0;
  let messages = 0;
  let t0 = 0;
  let t1 = 0;
  for await (const m of client.exec(q)) {
    if (m.message.case === "started") t0 = performance.now();
    else if (m.message.case === "stdout") {
      bytes += m.message.value.length;
      messages++;
    }
    else if (m.message.case === "exited") t1 = performance.now();
  }
  return { bytes, seconds: (t1 - t0) / 1000, messages };
}

try {
  const setupMs = await setup();
  const echoMs = await echo();
  const cat = await throughput();
  parentPort!.postMessage({ setupMs, echoMs, cat });
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).stack ?? String(err) });
} finally {
  client.close();
}
