import type pg from "pg";
import type { Logger } from "../logging/index.ts";
import type { AppendManyResult, AppendResult, ExpectedVersion, StreamAppend } from "./append-result.ts";
import { appendStreams } from "./append-streams.ts";
import { timedAppend } from "../telemetry/control-metrics.ts";
import { readAllPage, type ReadAllOptions, type ReadPage } from "./commit-order-reader.ts";
import { ConcurrencyError } from "./concurrency-error.ts";
import type { NewEvent, Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";
import { runFollower, type FollowOptions } from "./follower.ts";
import { NotificationListener } from "./notification-listener.ts";
import { readStreamEvents, readStreamVersion } from "./stream-reader.ts";
import { readCheckpoint, runProjection, runSubscription, setCheckpoint, type ProjectionOptions, type SubscriptionOptions } from "./subscription.ts";
import { runTransaction, type EventStoreTransaction, type TransactionOptions } from "./transaction.ts";

/** The default NOTIFY channel appends signal on. */
export const DEFAULT_EVENTS_CHANNEL = "gantry_events";

/**
 * How to build an EventStore: the pool it queries (owned by the caller, never closed by the
 * store) and the NOTIFY channel (default `gantry_events`). Subscriptions LISTEN on one extra
 * dedicated connection opened with the pool's settings.
 */
export interface EventStoreOptions {
  pool: pg.Pool;
  channel?: string;
  logger?: Logger;
}

/** A successful append: the stream's new version and the global positions its events took. */
export type AppendSuccess = Extract<AppendResult, { ok: true }>;

/** A successful appendMany: each stream's new version and the positions of the transaction. */
export type AppendManySuccess = Extract<AppendManyResult, { ok: true }>;

/**
 * The event log: appends with optimistic concurrency, per-stream reads, the commit-order reader
 * and checkpointed subscriptions. Expected conflicts are values (`append`, `appendMany`); the
 * `…OrThrow` forms turn them into ConcurrencyError. Schema: run `migrateEventStore` first.
 */
export class EventStore {
  readonly #pool: pg.Pool;
  readonly #channel: string;
  readonly #logger: Logger | undefined;
  #listener: NotificationListener | undefined;

  /** A store over `options.pool`; opens no connection until used. */
  constructor(options: EventStoreOptions) {
    this.#pool = options.pool;
    this.#channel = options.channel ?? DEFAULT_EVENTS_CHANNEL;
    this.#logger = options.logger;
  }

  /** The pool the store queries (the caller's): leases and snapshots live in the same database. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /**
   * Appends `events` to one stream if it is at `expectedVersion` (0 or "no_stream": it does not
   * exist; "any": no check). One statement, one transaction, one NOTIFY. Returns the conflict as
   * a value; throws InvalidArgument for an empty batch or a malformed stream id or event type.
   */
  async append(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[]): Promise<AppendResult> {
    const result = await timedAppend(1, appendStreams(this.#pool, this.#channel, [{ streamId, expectedVersion, events }]));
    if (!result.ok) return { ok: false, actualVersion: result.conflicts[0]!.actualVersion };
    return { ok: true, nextVersion: result.streams[0]!.nextVersion, firstPosition: result.firstPosition, lastPosition: result.lastPosition };
  }

  /** Like `append`, but a version conflict throws ConcurrencyError (code Aborted). */
  async appendOrThrow(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[]): Promise<AppendSuccess> {
    const result = await this.append(streamId, expectedVersion, events);
    if (!result.ok) throw new ConcurrencyError(streamId, expectedVersion, result.actualVersion);
    return result;
  }

  /**
   * Appends to several streams in ONE transaction, all-or-nothing: if any stream is not at its
   * expected version nothing is written and every such stream is reported. Events take positions
   * in input order. Throws InvalidArgument for no streams, a stream listed twice or an empty batch.
   */
  appendMany(appends: StreamAppend[]): Promise<AppendManyResult> {
    return timedAppend(appends.length, appendStreams(this.#pool, this.#channel, appends));
  }

  /** Like `appendMany`, but a conflict throws ConcurrencyError for the first conflicting stream (all in `details.conflicts`). */
  async appendManyOrThrow(appends: StreamAppend[]): Promise<AppendManySuccess> {
    const result = await this.appendMany(appends);
    if (result.ok) return result;
    const first = result.conflicts[0]!;
    const error = new ConcurrencyError(first.streamId, first.expectedVersion, first.actualVersion);
    error.details.conflicts = result.conflicts;
    throw error;
  }

  /** One stream's events in version order, from `fromVersion` (default 1); [] for no stream. */
  readStream(streamId: string, options: { fromVersion?: number } = {}): Promise<RecordedEvent[]> {
    return readStreamEvents(this.#pool, streamId, options.fromVersion ?? 1);
  }

  /** A stream's current version; 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number> {
    return readStreamVersion(this.#pool, streamId);
  }

  /**
   * Up to `limit` committed events after `after` (default: the start) in commit order, stopping
   * at the xmin horizon. Pass the last event's position (`positionOf`) as the next `after`.
   */
  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await readAllPage(this.#pool, options)).events;
  }

  /** One page of the commit-order reader with the position to continue from; see `ReadPage`. */
  readPage(options: ReadAllOptions): Promise<ReadPage> {
    return readAllPage(this.#pool, options);
  }

  /**
   * Every committed event after `after` (of `streamTypes` only, when given), page by page, until
   * the reader catches up with the horizon. The next page is fetched while the caller handles
   * the current one (projection rebuilds overlap Postgres and the fold this way). Each yielded
   * page carries `next`, the position the log has been read up to once it is handled.
   */
  async *readAllPages(options: { after?: Position; pageSize?: number; streamTypes?: readonly string[] } = {}): AsyncGenerator<RecordedEvent[] & { next: Position }> {
    const limit = options.pageSize ?? 5000;
    const read = (after: Position) => readAllPage(this.#pool, { after, limit, ...(options.streamTypes ? { streamTypes: options.streamTypes } : {}) });
    let next = read(options.after ?? START);
    for (;;) {
      const page = await next;
      if (!page.caughtUp) next = read(page.next);
      // Keep the prefetch from surfacing as an unhandled rejection if the caller stops early.
      next.catch(() => undefined);
      if (page.events.length > 0) yield Object.assign(page.events, { next: page.next });
      if (page.caughtUp) return;
    }
  }

  /**
   * Runs `work` in one transaction (appends and other statements commit together); see
   * `runTransaction` for the fence, the reruns and how a commit of unknown outcome is resolved.
   */
  transaction<T>(work: (tx: EventStoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(this.#pool, this.#channel, work, options);
  }

  /** Follows the log from a position kept by the caller until its signal aborts; see `FollowOptions`. */
  follow(options: FollowOptions): Promise<void> {
    return runFollower(this.#pool, this.#getListener(), { ...(this.#logger ? { logger: this.#logger } : {}), ...options });
  }

  /** Runs a checkpointed subscription until its signal aborts; see `SubscriptionOptions`. */
  subscribe(options: SubscriptionOptions): Promise<void> {
    return runSubscription(this.#pool, this.#getListener(), { ...(this.#logger ? { logger: this.#logger } : {}), ...options });
  }

  /** Runs a Postgres projection (rows and checkpoint in one transaction) until its signal aborts; see `ProjectionOptions`. */
  project(options: ProjectionOptions): Promise<void> {
    return runProjection(this.#pool, this.#channel, this.#getListener(), { ...(this.#logger ? { logger: this.#logger } : {}), ...options });
  }

  /** The position a subscription has handled up to; START when it never ran. */
  checkpoint(subscriptionId: string): Promise<Position> {
    return readCheckpoint(this.#pool, subscriptionId);
  }

  /** Moves a single writer's checkpoint forward, never back (no compare-and-set). */
  setCheckpoint(subscriptionId: string, position: Position): Promise<void> {
    return setCheckpoint(this.#pool, subscriptionId, position);
  }

  /** Closes the LISTEN connection (the pool stays open; it belongs to the caller). */
  async close(): Promise<void> {
    await this.#listener?.close();
    this.#listener = undefined;
  }

  #getListener(): NotificationListener {
    this.#listener ??= new NotificationListener(this.#pool.options, this.#channel);
    return this.#listener;
  }
}
