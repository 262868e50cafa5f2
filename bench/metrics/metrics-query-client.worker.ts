/**
 * The metrics benchmark's query client, in a worker thread: its own event loop and its own heap,
 * as a dashboard or the CLI on another machine would have (its garbage is not the service's, and
 * the service's collections do not pause it). Asks "one task's last hour" of random tasks, warm-up
 * first, and posts each call's wall time, then exits.
 */
import { parentPort, workerData } from "node:worker_threads";
import { float64Column, metricsV1 } from "@gantry/proto";
import { createGrpcClient } from "@gantry/platform";

const { target, token, tasks, seriesPerTask, startMs, endMs, warmup, queries } = workerData as {
  target: string;
  token: string;
  tasks: number;
  seriesPerTask: number;
  startMs: number;
  endMs: number;
  warmup: number;
  queries: number;
};
const client = createGrpcClient(metricsV1.MetricsService, target, { token, deadlineMs: 10_000 });
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
let pointsPerQuery = 0;

async function lastHourOfATask(): Promise<void> {
  const taskId = `task-${Math.floor(rnd() * tasks)}`;
  const answer = await client.range({ selector: { taskId }, startMs: BigInt(startMs), endMs: BigInt(endMs) });
  if (answer.series.length !== seriesPerTask) throw new Error(`${taskId}: ${answer.series.length} series, expected ${seriesPerTask}`);
  pointsPerQuery = answer.series.reduce((n, s) => n + float64Column(s.values).length, 0); // what a client does to read them
}

try {
  for (let q = 0; q < warmup; q++) await lastHourOfATask(); // connection and JIT warm-up
  const durations: number[] = [];
  for (let q = 0; q < queries; q++) {
    const started = performance.now();
    await lastHourOfATask();
    durations.push(performance.now() - started);
  }
  parentPort!.postMessage({ durations, pointsPerQuery });
} catch (err) {
  parentPort!.postMessage({ error: String((err as Error).stack ?? err) });
} finally {
  client.close();
}
