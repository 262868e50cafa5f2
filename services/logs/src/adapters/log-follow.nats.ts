import { DeliverPolicy } from "@nats-io/jetstream";
import { fromBinary } from "@bufbuild/protobuf";
import { logsV1, LOGS_STREAM, logsComponentSubject, logsTaskSubject } from "@gantry/proto";
import type { Bus } from "@gantry/platform/bus";
import { positionOf } from "../domain/log-position.ts";
import { matchesSource, type LogSelection } from "../domain/log-query.ts";
import { chunkMayMatch, chunkPager, chunksOfBatch, lastPositionOf, lineCountOf, type LineRun } from "../domain/log-chunk.ts";
import { storedThrough } from "./log-ingest.nats.ts";
import type { LogStore } from "./log-store.postgres.ts";

const PAGE = 1_000;

/**
 * Follows lines matching `selection` strictly after position `after` (undefined: from the
 * beginning), until `signal` aborts. Two parts with one seam and no overlap:
 *
 *   1. stored lines: everything in batches at or below the ingest's ack floor F (all of them are
 *      committed, since the ingest acknowledges after commit), read from PostgreSQL in pages;
 *   2. live lines: an ordered consumer on the LOGS stream from sequence F+1 (or the cursor's own
 *      batch when it is newer), so lines reach the follower as soon as JetStream has them,
 *      whether or not the logs service has stored them yet.
 *
 * Positions come from stream sequences in both parts, so a line is yielded once, in position
 * order, and a cursor taken from either part resumes exactly after it.
 */
export async function* followLines(bus: Bus, store: LogStore, selection: LogSelection, after: bigint | undefined, signal: AbortSignal): AsyncGenerator<LineRun[]> {
  const floor = await storedThrough(bus);
  const upTo = positionOf(floor + 1, 0) - 1n;
  let last = after;
  while (!signal.aborted) {
    const page = await store.between(selection, last, upTo, PAGE);
    const lines = lineCountOf(page);
    if (lines > 0) {
      last = lastPositionOf(page);
      yield page;
    }
    if (lines < PAGE) break;
  }
  const fromSeq = Math.max(floor + 1, last === undefined ? 0 : Number(last / 65_536n));
  const consumer = await bus.js.consumers.get(bus.names.stream(LOGS_STREAM.name), {
    filter_subjects: bus.names.subject(subjectFor(selection)),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: fromSeq,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  const stop = () => void messages.close().catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const m of messages) {
      for (const page of matchingPagesOf(m.seq, fromBinary(logsV1.LogBatchSchema, m.data), selection, last, PAGE)) {
        last = lastPositionOf(page);
        yield page;
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
  }
}

/** The narrowest LOGS subject a selection's lines travel on (NATS 2.9: one filter subject). */
export function subjectFor(s: LogSelection): string {
  if (s.component !== undefined) return logsComponentSubject(s.component);
  const taskOnly = s.taskId !== undefined || s.taskIdPrefix !== undefined || s.instanceId !== undefined || s.appId !== undefined || s.stream === "stdout" || s.stream === "stderr";
  if (taskOnly) return s.agentId !== undefined ? logsTaskSubject(s.agentId) : "logs.task.>";
  return "logs.>";
}

/**
 * The lines of one batch that match `selection` and come after `after`, with the positions the
 * store gives them, in pages of at most `pageLines` (a batch may hold 65,535 short lines, more
 * than one gRPC message should); none for a batch the ingest parks (it is never stored either).
 */
export function* matchingPagesOf(seq: number, batch: logsV1.LogBatch, selection: LogSelection, after: bigint | undefined, pageLines: number): Generator<LineRun[]> {
  // Other sources' batches (a task follower reads every agent's) are not unpacked at all.
  if (!batch.chunks.some((c) => matchesSource(selection, { agentId: batch.agentId, appId: c.appId, instanceId: c.instanceId, taskId: c.taskId, stream: c.stream, component: c.component }))) return;
  const checked = chunksOfBatch(seq, batch);
  if (!checked.ok) return;
  let page: LineRun[] = [];
  let inPage = 0;
  for (const chunk of checked.chunks) {
    if (!chunkMayMatch(selection, chunk)) continue;
    // One pass over the chunk's block for all its pages (each page resumes where the last stopped).
    const next = chunkPager(chunk, selection, after);
    for (let run = next(pageLines - inPage); run !== undefined; run = next(pageLines - inPage)) {
      page.push(run);
      inPage += run.positions.length;
      if (inPage === pageLines) {
        yield page;
        page = [];
        inPage = 0;
      }
    }
  }
  if (inPage > 0) yield page;
}

/** The position just past every line the LOGS stream holds now: following from it yields only lines shipped later. */
export async function streamEndPosition(bus: Bus): Promise<bigint> {
  const info = await bus.jsm.streams.info(bus.names.stream(LOGS_STREAM.name));
  return positionOf(info.state.last_seq + 1, 0) - 1n;
}
