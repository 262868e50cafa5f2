/**
 * The logs benchmark's "tail 1000" client, a process of its own (its own heap and garbage
 * collector, as a CLI or the gateway calling the logs service has; in the bench process, or in a
 * worker thread of it, collections of that process's heap paused it): `warmup` untimed then
 * `samples` timed QueryLogs skip_prev=1000, round robin over the tasks. Started with
 * child_process.fork; sends one message ({ tailMs } or { error }) and exits.
 *
 *   fork("bench/logs/tail-client.process.ts", [JSON.stringify({ target, token, taskIds, samples, warmup })])
 */
import { logsV1, readLogLines } from "@gantry/proto";
import { createGrpcClient } from "@gantry/platform";

const { target, token, taskIds, samples, warmup } = JSON.parse(process.argv[2]!) as { target: string; token: string; taskIds: string[]; samples: number; warmup: number };
const client = createGrpcClient(logsV1.LogsService, target, { token, deadlineMs: 30_000 });

/**
 * One tail call, decoded as a client shows it: the answer's columns read and checked
 * (readLogLines: every column one entry per line, every line's source present), the texts
 * decoded (the first and last line's text read). Throws unless it gave 1,000 lines of the task
 * (every bench task holds more).
 */
async function tail(taskId: string): Promise<void> {
  const lines = readLogLines(await client.queryLogs({ filter: { taskId }, skipPrev: 1000 }));
  if (lines.count !== 1000) throw new Error(`tail of ${taskId} gave ${lines.count} lines`);
  if (lines.source(999).taskId !== taskId || lines.text(0) === "" || lines.text(999) === "") throw new Error(`tail of ${taskId}: lines of another task, or empty texts`);
}

let result: { tailMs: number[] } | { error: string };
try {
  // The first calls (JIT compilation of the decoders, statements prepared on the service's connections) are warm-up.
  for (let i = 0; i < warmup; i++) await tail(taskIds[i % taskIds.length]!);
  const tailMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await tail(taskIds[i % taskIds.length]!);
    tailMs.push(performance.now() - t);
  }
  result = { tailMs };
} catch (err) {
  result = { error: (err as Error).stack ?? String(err) };
} finally {
  client.close();
}
process.send!(result, () => process.disconnect());
