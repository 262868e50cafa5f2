import type { MsgHdrs } from "@nats-io/nats-core";
import { context } from "@opentelemetry/api";
import { delay } from "../async/delay.ts";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import { contextFromHeaders } from "./messages.ts";
import type { ParkedKeys } from "./parked-keys.ts";

/** One message of a JetStream stream as the in-order discipline sees it: where it sits and what it carries. */
export interface StreamMessage {
  /** Full stream name (`GANTRY_AGENT_STATUS`). */
  readonly stream: string;
  /** Full subject it was published on. */
  readonly subject: string;
  /** Stream sequence: messages are handled in increasing order of it. */
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
}

/** What a park sink is asked to store: the message, who gave up on it, why, and after how many attempts. */
export interface ParkRequest {
  /** Name of the consumer that parks it (a single subject token, e.g. `scheduler_status`). */
  readonly consumer: string;
  readonly message: StreamMessage;
  /** The last error's message, or `held back behind parked message <stream>#<seq>`. */
  readonly reason: string;
  /** Handler attempts made (0 for a message held back without being tried). */
  readonly attempts: number;
  /** The message's ordering key, when it has one. */
  readonly key: string | undefined;
  readonly parkedAt: Date;
}

/**
 * Stores a parked message durably and resolves only once it is stored (for JetStream: once the
 * stream acknowledged it). Rejecting is fine: the caller retries it with backoff, so the sink
 * must be idempotent for one (stream, seq, consumer).
 */
export type ParkSink = (request: ParkRequest) => Promise<void>;

/**
 * What became of one message: `handled` (the handler resolved), `parked` (stored in the park sink),
 * `skipped` (at or below the last sequence done, or parked by an earlier run: a redelivery), or
 * `aborted` (the signal fired first; the message is neither handled nor parked and must be left for
 * redelivery). The first three mean the message is done and may be acknowledged.
 */
export type InOrderOutcome = "handled" | "parked" | "skipped" | "aborted";

/** Capped exponential backoff between attempts: `initialMs`, doubling, never above `maxMs`. */
export interface RetryBackoff {
  /** First pause (default 100 ms). */
  initialMs?: number;
  /** Longest pause (default 5 s). */
  maxMs?: number;
}

/** Options of an `InOrderHandler`: the handler, how to park, and the discipline's limits. */
export interface InOrderOptions<T, M extends StreamMessage = StreamMessage> {
  /** Consumer name, a single subject token (`[A-Za-z0-9_-]+`): it names the park subject and the logs. */
  consumer: string;
  /** Decodes a payload; throwing is a permanent failure (the same bytes never decode). */
  decode: (data: Uint8Array) => T;
  /**
   * Handles one message. Resolving marks it done. Throwing a `GantryError` whose `retryable` is
   * false is a permanent failure; any other throw is transient and is retried for as long as it takes.
   * Must be idempotent: a message may be handled again by another process after a crash.
   */
  handler: (message: T, raw: M) => Promise<void>;
  /** Stores messages given up on (see `openParking`). */
  park: ParkSink;
  /** Keys held back and messages already parked; shared with whoever loaded it, updated on each park. */
  parkedKeys: ParkedKeys;
  /** The key whose messages must stay in order (a task or stream id); undefined or "": no hold-back. */
  orderingKey?: (raw: M) => string | undefined;
  logger: Logger;
  /** Aborting stops a message being retried at once, leaving it neither handled nor parked. */
  signal: AbortSignal;
  /** Permanent failures of one message before it is parked (default 3). */
  maxAttempts?: number;
  /** Pause between attempts of one message (default 100 ms doubling to 5 s). */
  backoff?: RetryBackoff;
  /** Sequence already done (e.g. a recorded checkpoint): messages at or below it are skipped. Default 0. */
  after?: number;
  /** Called every `keepAliveMs` while one message is held (handled, retried or parked), e.g. `JsMsg.working()`. */
  keepAlive?: (raw: M) => void;
  /** Period of `keepAlive` (default 10 s); keep it well inside the ack deadline. */
  keepAliveMs?: number;
}

/**
 * True for a failure that repeating cannot cure: a `GantryError` whose `retryable` is false
 * (InvalidArgument, NotFound, FailedPrecondition, …). Plain errors (I/O, timeouts) and retryable
 * GantryErrors (Unavailable, Aborted) are transient.
 */
export function isPermanentFailure(err: unknown): boolean {
  return err instanceof GantryError && !err.retryable;
}

const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,200}$/;
/** NATS header values are one line; a reason is for a human, so a bounded line is enough. */
const MAX_REASON = 1_000;

/**
 * Handles the messages of one stream strictly one at a time, in stream order, for one consumer:
 * the discipline every Gantry consumer keeps (durable consumers use it, and so can an ordered
 * consumer reading from a recorded sequence).
 *
 * Invariants, for the messages passed to `handle` in increasing `seq`:
 * - A failure holds back what follows: a failing message is retried in place (capped exponential
 *   backoff); `handle` does not resolve, so the caller hands over nothing later, until it is
 *   handled, parked or the signal aborts.
 * - Nothing is handled twice in one instance: a message at or below the last sequence done is
 *   `skipped` (a redelivery after an ack deadline passed), as is one already in `parkedKeys`.
 * - Nothing is dropped in silence: after `maxAttempts` permanent failures the message is parked
 *   (the sink is retried until it stores it) and logged at error level; transient failures are
 *   retried without limit.
 * - Per-key hold-back: once a message of a key is parked, every later message of that key is parked
 *   too, untried, behind it; messages of other keys (and without a key) go on.
 *
 * One instance per (stream, consumer); `handle` must not be called again before it settles.
 */
export class InOrderHandler<T, M extends StreamMessage = StreamMessage> {
  readonly #options: InOrderOptions<T, M>;
  readonly #maxAttempts: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #keepAliveMs: number;
  #lastSeq: number;

  /** Validates the options; throws an InvalidArgument GantryError naming the bad one. */
  constructor(options: InOrderOptions<T, M>) {
    const bad = (field: string, what: string) => new GantryError("InvalidArgument", `in-order handler option ${field} ${what}`);
    if (!CONSUMER_NAME.test(options.consumer)) throw bad("consumer", `"${options.consumer}" must be one subject token ([A-Za-z0-9_-])`);
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#initialBackoffMs = options.backoff?.initialMs ?? 100;
    this.#maxBackoffMs = options.backoff?.maxMs ?? 5_000;
    this.#keepAliveMs = options.keepAliveMs ?? 10_000;
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) throw bad("maxAttempts", "must be an integer ≥ 1");
    if (!(this.#initialBackoffMs > 0)) throw bad("backoff.initialMs", "must be > 0");
    if (!(this.#maxBackoffMs >= this.#initialBackoffMs)) throw bad("backoff.maxMs", "must be ≥ backoff.initialMs");
    if (!(this.#keepAliveMs > 0)) throw bad("keepAliveMs", "must be > 0");
    this.#options = options;
    this.#lastSeq = options.after ?? 0;
  }

  /** The highest sequence done (handled, parked or known parked); later messages at or below it are skipped. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Takes one message to an end: handled, parked, skipped, or aborted (see `InOrderOutcome`).
   * Never rejects for a handler or sink failure (those are retried); resolves `aborted` promptly
   * when the signal fires between attempts (an attempt in progress is awaited).
   */
  async handle(message: M): Promise<InOrderOutcome> {
    const o = this.#options;
    if (message.seq <= this.#lastSeq) return "skipped";
    if (o.parkedKeys.isParked(message.stream, message.seq)) {
      this.#lastSeq = message.seq;
      return "skipped";
    }
    if (o.signal.aborted) return "aborted";
    const stopKeepAlive = this.#startKeepAlive(message);
    try {
      const key = this.#keyOf(message);
      const blocker = key === undefined ? undefined : o.parkedKeys.heldBehind(key);
      if (blocker !== undefined) return await this.#park(message, key, `held back behind parked message ${blocker}`, 0);
      return await this.#tryUntilDone(message, key);
    } finally {
      stopKeepAlive();
    }
  }

  async #tryUntilDone(message: M, key: string | undefined): Promise<InOrderOutcome> {
    const o = this.#options;
    let attempts = 0;
    let permanent = 0;
    let pauseMs = this.#initialBackoffMs;
    for (;;) {
      attempts++;
      const failure = await this.#attempt(message);
      if (failure === undefined) {
        this.#lastSeq = message.seq;
        return "handled";
      }
      if (failure.permanent) permanent++;
      if (o.signal.aborted) return "aborted";
      if (permanent >= this.#maxAttempts) return this.#park(message, key, failure.reason, attempts);
      o.logger.warn(
        { err: failure.err, ...this.#where(message), key, attempts, permanent: failure.permanent, retryInMs: pauseMs },
        "message handler failed; retrying in place, later messages wait",
      );
      await delay(pauseMs, o.signal);
      if (o.signal.aborted) return "aborted";
      pauseMs = Math.min(pauseMs * 2, this.#maxBackoffMs);
    }
  }

  /** One decode + handle; undefined when it succeeded, else what went wrong and whether retrying can cure it. */
  async #attempt(message: M): Promise<{ err: unknown; permanent: boolean; reason: string } | undefined> {
    const o = this.#options;
    let decoded: T;
    try {
      decoded = o.decode(message.data);
    } catch (err) {
      return { err, permanent: true, reason: `cannot decode: ${errorText(err)}` };
    }
    try {
      await context.with(contextFromHeaders(message.headers), () => o.handler(decoded, message));
      return undefined;
    } catch (err) {
      return { err, permanent: isPermanentFailure(err), reason: errorText(err) };
    }
  }

  /** Parks one message, retrying the sink until it stores it (a message is never let go unstored) or the signal fires. */
  async #park(message: M, key: string | undefined, reason: string, attempts: number): Promise<"parked" | "aborted"> {
    const o = this.#options;
    const request: ParkRequest = { consumer: o.consumer, message, reason: oneLine(reason), attempts, key, parkedAt: new Date() };
    let pauseMs = this.#initialBackoffMs;
    for (;;) {
      if (o.signal.aborted) return "aborted";
      try {
        await o.park(request);
        break;
      } catch (err) {
        o.logger.warn({ err, ...this.#where(message), key, retryInMs: pauseMs }, "parking a message failed; retrying, later messages wait");
        await delay(pauseMs, o.signal);
        pauseMs = Math.min(pauseMs * 2, this.#maxBackoffMs);
      }
    }
    o.parkedKeys.record(message.stream, message.seq, key);
    this.#lastSeq = message.seq;
    o.logger.error(
      { ...this.#where(message), key, reason: request.reason, attempts, parkedAt: request.parkedAt.toISOString() },
      key === undefined ? "message parked" : "message parked; later messages of its key are held back",
    );
    return "parked";
  }

  #keyOf(message: M): string | undefined {
    const o = this.#options;
    if (!o.orderingKey) return undefined;
    try {
      return o.orderingKey(message) || undefined;
    } catch (err) {
      // A key function that throws is a bug; the message is still handled, just without hold-back.
      o.logger.error({ err, ...this.#where(message) }, "ordering key could not be read; handling without hold-back");
      return undefined;
    }
  }

  #startKeepAlive(message: M): () => void {
    const touch = this.#options.keepAlive;
    if (!touch) return () => {};
    const timer = setInterval(() => {
      try {
        touch(message);
      } catch {
        // The connection is gone: the message is redelivered to whoever consumes next, which is correct.
      }
    }, this.#keepAliveMs);
    return () => clearInterval(timer);
  }

  #where(message: M) {
    return { consumer: this.#options.consumer, stream: message.stream, subject: message.subject, seq: message.seq };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, " ").trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}
