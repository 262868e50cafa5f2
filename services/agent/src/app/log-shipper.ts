import type { Logger } from "@gantry/platform/logging";
import { containerOfTask, cutLineBlock } from "../domain/log-line-splitter.ts";

/** The two output files of a task. */
export type OutputStream = "stdout" | "stderr";
const STREAMS: readonly OutputStream[] = ["stdout", "stderr"];

/** Where one output stream of a task stands: bytes shipped and acknowledged, and the range in flight. */
export interface StreamOffset {
  offset: number;
  /** Written before a batch is published: a restarted agent re-publishes exactly this range (same msg id, deduplicated). */
  pending?: { start: number; end: number };
}

/** A task's shipping checkpoint (`<sandbox>/.gantry/log-offsets.json`). */
export interface LogOffsets {
  stdout: StreamOffset;
  stderr: StreamOffset;
  /** The task ended and all of its output was shipped: nothing more to follow. */
  done?: boolean;
}

/** A task the shipper may follow, as its checkpoint describes it. */
export interface ShippableTask {
  taskId: string;
  instanceId: string;
  appId: string;
  /** The task ended (its checkpoint has a final state): once its files are read to the end it is done. */
  ended: boolean;
}

/** One batch of a task's lines, ready to publish. */
export interface TaskLogBatch {
  task: ShippableTask;
  container: string;
  stream: OutputStream;
  /** Message id: `<agent>/<task>/<stream>/<start>-<end>`, so a re-publish of the same range is stored once. */
  msgId: string;
  /** When the lines were read (µs since the epoch): the time of every line of the batch. */
  time: bigint;
  /** The lines as a line block (each followed by `\n`; see `@gantry/logs/shipping`), bytes of the file as they are. */
  block: Uint8Array;
  lineCount: number;
}

/** What the shipper needs from the node (adapters/log-files.fs.ts) and the bus (adapters/log-publisher.nats.ts). */
export interface LogShipperPorts {
  /** The ids of the sandboxes on this node (a directory listing: no file of theirs is read). */
  taskIds(): string[];
  /** A sandbox's task as its checkpoint describes it; undefined when it is not this agent's or has no checkpoint. */
  taskOf(taskId: string): ShippableTask | undefined;
  size(taskId: string, stream: OutputStream): number;
  read(taskId: string, stream: OutputStream, start: number, length: number): Uint8Array;
  loadOffsets(taskId: string): LogOffsets | undefined;
  saveOffsets(taskId: string, offsets: LogOffsets): void;
  /** Calls `onChange` when a task's output file changes; returns the unwatch. */
  watch(taskId: string, onChange: () => void): () => void;
  /** Resolves once JetStream stored the batch (or found its msg id already stored). */
  publish(batch: TaskLogBatch): Promise<void>;
  /** Frees disk once shipped bytes exceed the size limit (see log-files.fs.ts). */
  rotate(taskId: string, stream: OutputStream, shippedOffset: number): void;
  logger: Logger;
  now(): number;
}

/** How long status changes are gathered before their tasks are looked at (one look for a burst). */
const LOOK_DELAY_MS = 20;

/** The most bytes read into one batch. */
const BATCH_BYTES = 256 * 1024;

interface Followed {
  task: ShippableTask;
  offsets: LogOffsets;
  busy: boolean;
  /** Offsets moved (a batch acknowledged) since they were last saved. */
  unsaved: boolean;
  dirty: boolean;
  unwatch: () => void;
}

/**
 * Ships every task's stdout and stderr from its sandbox files to the LOGS stream: follows each
 * file by offset (woken by inotify through `watch`; a task that reports a status is looked at
 * at once, `taskChanged`; a rescan every `rescanMs` is the safety net), cuts complete lines into line blocks (the file's bytes), publishes them in
 * batches of up to 256 KiB, and records the offset in the task's sandbox only after JetStream
 * acknowledged the batch. A batch is announced (`pending`, with the offset of the batch before:
 * one offsets write per batch while output streams) before it is published, so an agent killed in
 * between re-publishes the same range under the same msg id (stored once). A task that ended is read to its last byte (a
 * partial last line included), then marked done. A publish that fails is retried with backoff;
 * nothing after it in that file is shipped meanwhile. Tasks whose output was all shipped are
 * remembered (`done`), so neither rescans nor status changes read their checkpoints again: a node
 * keeps ended sandboxes for days, and reading each of them per status change cost the agent a
 * fifth of its CPU while launching.
 */
export class LogShipper {
  readonly #ports: LogShipperPorts;
  readonly #agentId: string;
  readonly #followed = new Map<string, Followed>();
  /** Tasks all of whose output was shipped (their offsets say `done`): never looked at again. */
  readonly #done = new Set<string>();
  /** Tasks that reported a status since the last look (`taskChanged`). */
  readonly #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(agentId: string, ports: LogShipperPorts) {
    this.#agentId = agentId;
    this.#ports = ports;
  }

  /** Starts following (a rescan now, then every `rescanMs`). */
  start(rescanMs = 2_000): void {
    this.rescan();
    this.#timer = setInterval(() => this.rescan(), rescanMs);
    this.#timer.unref();
  }

  /**
   * Looks at `taskId` within LOOK_DELAY_MS (it started or changed state: its output is followed at once,
   * not at the next periodic rescan, and its end is read to the last byte); changes in between
   * share that one look, which reads only their checkpoints.
   */
  taskChanged(taskId: string): void {
    if (this.#stopped) return;
    this.#changed.add(taskId);
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      const ids = [...this.#changed];
      this.#changed.clear();
      for (const id of ids) this.#look(id);
    }, LOOK_DELAY_MS);
    this.#soon.unref();
  }

  /** Finds new tasks and tasks that ended among the sandboxes, and pumps every followed file once. */
  rescan(): void {
    if (this.#stopped) return;
    const ids = this.#ports.taskIds();
    const present = new Set(ids);
    for (const id of this.#done) if (!present.has(id)) this.#done.delete(id); // its sandbox was removed
    for (const id of ids) this.#look(id);
  }

  /** Follows a task not followed yet, or pumps it with its checkpoint's news (ended); skips tasks done. */
  #look(taskId: string): void {
    if (this.#stopped || this.#done.has(taskId)) return;
    const task = this.#ports.taskOf(taskId);
    if (!task) return;
    const known = this.#followed.get(taskId);
    if (known) {
      known.task = task;
      this.#pump(known);
      return;
    }
    const offsets = this.#ports.loadOffsets(taskId) ?? { stdout: { offset: 0 }, stderr: { offset: 0 } };
    if (offsets.done) {
      this.#done.add(taskId);
      return;
    }
    const f: Followed = { task, offsets, busy: false, unsaved: false, dirty: false, unwatch: () => undefined };
    f.unwatch = this.#ports.watch(taskId, () => this.#pump(f));
    this.#followed.set(taskId, f);
    this.#pump(f);
  }

  /** Ships what the files hold now (tasks that ended included), waiting at most `timeoutMs`; true when all of it went. */
  async flush(timeoutMs: number): Promise<boolean> {
    this.rescan();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const all = Promise.allSettled([...this.#inFlight]).then(() => true as const);
    const done = await Promise.race([all, gaveUp]);
    clearTimeout(timer);
    return done;
  }

  /** Stops following; waits for the batches in flight (their offsets are then saved). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    for (const f of this.#followed.values()) f.unwatch();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Ships what a task's files hold now, then everything written meanwhile (one pump per task at a time). */
  #pump(f: Followed): void {
    if (this.#stopped) return;
    if (f.busy) {
      f.dirty = true;
      return;
    }
    f.busy = true;
    const run = (async () => {
      try {
        do {
          f.dirty = false;
          // Read `ended` before the sizes: output written before the task ended is then in them.
          const ended = f.task.ended;
          let complete = true;
          for (const stream of STREAMS) complete = (await this.#ship(f, stream, ended)) && complete;
          if (ended && complete) {
            f.offsets.done = true;
            this.#ports.saveOffsets(f.task.taskId, f.offsets);
            f.unwatch();
            this.#followed.delete(f.task.taskId);
            this.#done.add(f.task.taskId);
            return;
          }
        } while (f.dirty && !this.#stopped);
      } catch (err) {
        this.#ports.logger.warn({ err, taskId: f.task.taskId }, "shipping task output failed; will retry on the next change or rescan");
      } finally {
        f.busy = false;
      }
    })();
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  /** Ships one file up to its current end; true when everything in it was shipped. */
  async #ship(f: Followed, stream: OutputStream, ended: boolean): Promise<boolean> {
    const at = f.offsets[stream];
    try {
      if (at.pending) {
        const { start, end } = at.pending;
        const cut = cutLineBlock(this.#ports.read(f.task.taskId, stream, start, end - start), true);
        await this.#publishRange(f, stream, start, end, cut.block, cut.lines);
      }
      const size = this.#ports.size(f.task.taskId, stream);
      while (at.offset < size && !this.#stopped) {
        const length = Math.min(size - at.offset, BATCH_BYTES);
        const last = at.offset + length === size;
        const { block, lines, consumed } = cutLineBlock(this.#ports.read(f.task.taskId, stream, at.offset, length), ended && last);
        if (consumed === 0) return false; // a partial line: wait for its end (or the task's)
        await this.#publishRange(f, stream, at.offset, at.offset + consumed, block, lines);
      }
      this.#ports.rotate(f.task.taskId, stream, at.offset);
      return at.offset >= size;
    } finally {
      // The offset of the last batch acknowledged, unless the next batch's announcement carried it.
      if (f.unsaved) this.#save(f);
    }
  }

  #save(f: Followed): void {
    this.#ports.saveOffsets(f.task.taskId, f.offsets);
    f.unsaved = false;
  }

  /** Publishes the lines of bytes [start, end) of a file, announced first, recorded once acknowledged. */
  async #publishRange(f: Followed, stream: OutputStream, start: number, end: number, block: Uint8Array, lineCount: number): Promise<void> {
    const at = f.offsets[stream];
    at.pending = { start, end };
    this.#save(f);
    const batch: TaskLogBatch = {
      task: f.task,
      container: containerOfTask(f.task.taskId, f.task.instanceId),
      stream,
      msgId: `${this.#agentId}/${f.task.taskId}/${stream}/${start}-${end}`,
      time: BigInt(this.#ports.now()) * 1000n,
      block,
      lineCount,
    };
    for (let pauseMs = 100; ; pauseMs = Math.min(pauseMs * 2, 5_000)) {
      try {
        await this.#ports.publish(batch);
        break;
      } catch (err) {
        if (this.#stopped) throw err;
        this.#ports.logger.warn({ err, taskId: f.task.taskId, stream, retryInMs: pauseMs }, "publishing task output failed; retrying");
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
    at.offset = end;
    delete at.pending;
    // Saved with the next batch's announcement when one follows at once (one write per batch
    // while output streams), else when this file's shipping pauses (#ship). Killed in between,
    // the agent re-publishes this batch under its msg id: stored once.
    f.unsaved = true;
  }
}
