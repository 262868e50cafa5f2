import { hostname } from "node:os";
import pg from "pg";
import { create } from "@bufbuild/protobuf";
import { eventsV1Lease } from "@gantry/proto";
import { delay } from "../async/delay.ts";
import type { Logger } from "../logging/index.ts";
import { appendInTransaction, TransactionTooOldError } from "../eventstore/append.ts";
import { DEFAULT_EVENTS_CHANNEL } from "../eventstore/event-store.ts";
import { eventOf } from "../eventstore/protobuf-events.ts";
import type { Fence } from "../eventstore/transaction.ts";
import {
  BUMP_EPOCH_SQL,
  HOLDER_SQL,
  KEEPALIVE_SQL,
  PREVIOUS_HOLDER_SQL,
  RENEW_SQL,
  STILL_HELD_SQL,
  TERMINATE_BLOCKERS_SQL,
  TERMINATE_SQL,
  TRY_LOCK_SQL,
} from "./lease.sql.ts";

/** How a process campaigns for a leader lease; intervals are compiled defaults when absent. */
export interface LeaseOptions {
  /** The pool of the cluster's database: its settings open the lease's dedicated connection. */
  pool: pg.Pool;
  /** The lease, e.g. "scheduler" or "relay". */
  name: string;
  /** Who campaigns, recorded with the lease (default `<process title>@<host>:<pid>`). */
  holder?: string;
  logger: Logger;
  /** Stops campaigning; a held lease is given up (its term's signal aborts). */
  signal: AbortSignal;
  /** How often a candidate tries to take a free lease (default 250 ms). */
  retryIntervalMs?: number;
  /** How often the holder proves it is alive (default 1 s). */
  renewIntervalMs?: number;
  /** A holder whose proof is older than this is hung: a candidate ends its connection (default 10 s). */
  staleAfterMs?: number;
  /** NOTIFY channel of the event log (default `gantry_events`), for the LeaseAcquired event. */
  channel?: string;
}

/**
 * One term of a held lease. `epoch` rises with every take-over; `fence` is what the holder's
 * transactions pass to `EventStore.transaction` so that they fail once a newer term began.
 * `signal` aborts when the lease is lost (its connection ended, a newer epoch appeared, or the
 * campaign stopped): the holder must stop acting as leader then.
 */
export interface LeaseTerm {
  name: string;
  epoch: bigint;
  holder: string;
  fence: Fence;
  signal: AbortSignal;
  /** When the lease was taken (epoch ms). */
  acquiredAt: number;
}

/**
 * Campaigns for lease `name` until `options.signal` aborts, running `lead(term)` for each term
 * this process wins. The protocol, on a dedicated connection:
 *
 *   candidate: pg_try_advisory_lock every retryIntervalMs ── a holder whose renewals are older
 *              │ granted                                     than staleAfterMs is terminated
 *              ▼
 *   take-over: one transaction: lock the lease row, raise its epoch (waits for the previous
 *              epoch's fenced transactions; ends them after 2 s), append LeaseAcquired
 *              ▼
 *   term:      lead(term) runs; renewals every renewIntervalMs; the term ends when lead returns,
 *              the connection ends, the epoch moved on, or the campaign stops
 *              ▼
 *   release:   the connection is closed (which frees the advisory lock); campaign again
 *
 * `lead` is awaited before the next campaign; it should return soon after `term.signal` aborts.
 * Resolves when the campaign stopped and the last term ended; never rejects (errors are logged
 * and the campaign goes on after a pause).
 */
export async function runForLease(options: LeaseOptions, lead: (term: LeaseTerm) => Promise<void>): Promise<void> {
  const { name, logger, signal } = options;
  const holder = options.holder ?? `${process.title}@${hostname()}:${process.pid}`;
  const retryIntervalMs = options.retryIntervalMs ?? 250;
  while (!signal.aborted) {
    const session = await openSession(options, logger).catch((err: unknown) => {
      logger.warn({ err, lease: name }, "lease connection failed; retrying");
      return undefined;
    });
    if (!session) {
      await delay(1_000, signal);
      continue;
    }
    // Pauses come after the session is closed, so the lock is free while this process waits.
    let pauseMs = 0;
    try {
      const term = await campaign(session, { ...options, holder, retryIntervalMs });
      if (term) {
        await serveTerm(session, term, { ...options, holder }, lead);
        // A holder that lost its term steps back for a moment, so the candidate that ended it
        // (it was hung, or cut off) wins the next round.
        pauseMs = retryIntervalMs * 2;
      }
    } catch (err) {
      if (!signal.aborted) logger.error({ err, lease: name }, "lease campaign failed; campaigning again");
      pauseMs = retryIntervalMs * 4;
    } finally {
      await session.close();
    }
    await delay(pauseMs, signal);
  }
}

interface Session {
  client: pg.Client;
  /** Aborts when the connection ends or errors. */
  lost: AbortSignal;
  close(): Promise<void>;
}

async function openSession(options: LeaseOptions, logger: Logger): Promise<Session> {
  const client = new pg.Client({ ...options.pool.options, keepAlive: true, application_name: `gantry-lease-${options.name}` } as pg.ClientConfig);
  const lost = new AbortController();
  client.on("error", (err) => {
    if (!lost.signal.aborted) logger.warn({ err, lease: options.name }, "lease connection lost");
    lost.abort();
  });
  client.on("end", () => lost.abort());
  await client.connect();
  await client.query(KEEPALIVE_SQL);
  return {
    client,
    lost: lost.signal,
    async close() {
      lost.abort();
      await client.end().catch(() => undefined);
    },
  };
}

/** Waits until this session holds the advisory lock and has raised the epoch; undefined when stopped first. */
async function campaign(session: Session, options: LeaseOptions & { holder: string; retryIntervalMs: number }): Promise<{ epoch: bigint; previous: string } | undefined> {
  const { client } = session;
  const key = `gantry.lease.${options.name}`;
  const staleAfterMs = options.staleAfterMs ?? 10_000;
  let lastHolder = "";
  while (!options.signal.aborted && !session.lost.aborted) {
    const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK_SQL, [key]);
    if (rows[0]!.locked) return takeOver(session, options);
    const holder = (await client.query<{ holder: string; backend_pid: number; stale: boolean }>(HOLDER_SQL, [options.name, staleAfterMs])).rows[0];
    if (holder && holder.holder !== lastHolder) {
      lastHolder = holder.holder;
      options.logger.info({ lease: options.name, holder: holder.holder }, "standing by: the lease is held");
    }
    if (holder?.stale) {
      options.logger.warn({ lease: options.name, holder: holder.holder, pid: holder.backend_pid }, `lease holder has not renewed for ${staleAfterMs} ms; ending its connection`);
      await client.query(TERMINATE_SQL, [holder.backend_pid]);
    }
    await delay(options.retryIntervalMs, options.signal);
  }
  return undefined;
}

/** Raises the epoch and records LeaseAcquired in one transaction on the session. */
async function takeOver(session: Session, options: LeaseOptions & { holder: string }): Promise<{ epoch: bigint; previous: string }> {
  const { client } = session;
  for (;;) {
    // Old fenced writers hold the lease row FOR SHARE: the epoch bump waits for them. One that
    // hangs (its process frozen mid-transaction) is ended after two seconds.
    const blockers = setTimeout(() => void options.pool.query(TERMINATE_BLOCKERS_SQL, [(client as unknown as { processID: number }).processID]).catch(() => undefined), 2_000);
    try {
      await client.query("BEGIN");
      const previous = (await client.query<{ holder: string }>(PREVIOUS_HOLDER_SQL, [options.name])).rows[0]?.holder ?? "";
      const epoch = BigInt((await client.query<{ epoch: string }>(BUMP_EPOCH_SQL, [options.name, options.holder])).rows[0]!.epoch);
      const event = eventOf(eventsV1Lease.LeaseAcquiredSchema, create(eventsV1Lease.LeaseAcquiredSchema, { name: options.name, epoch, holder: options.holder, previousHolder: previous }), {
        principal: `lease:${options.name}`,
      });
      const appended = await appendInTransaction(client, options.channel ?? DEFAULT_EVENTS_CHANNEL, [{ streamId: `lease-${options.name}`, expectedVersion: "any", events: [event] }]);
      if (!appended.ok) throw new Error(`LeaseAcquired could not be appended: ${JSON.stringify(appended.conflicts)}`);
      await client.query(RENEW_SQL, [options.name]);
      await client.query("COMMIT");
      return { epoch, previous };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (!(err instanceof TransactionTooOldError)) throw err;
    } finally {
      clearTimeout(blockers);
    }
  }
}

async function serveTerm(session: Session, won: { epoch: bigint; previous: string }, options: LeaseOptions & { holder: string }, lead: (term: LeaseTerm) => Promise<void>): Promise<void> {
  const { name, logger } = options;
  const ended = new AbortController();
  const end = (why: string) => {
    if (ended.signal.aborted) return;
    logger.warn({ lease: name, epoch: won.epoch.toString() }, `lease term ended: ${why}`);
    ended.abort();
  };
  const onLost = () => end("its connection was lost");
  const onStop = () => end("stopping");
  session.lost.addEventListener("abort", onLost, { once: true });
  options.signal.addEventListener("abort", onStop, { once: true });
  const renewals = setInterval(() => {
    void (async () => {
      await session.client.query(RENEW_SQL, [name]);
      const held = (await session.client.query<{ held: boolean }>(STILL_HELD_SQL, [name, won.epoch.toString()])).rows[0]?.held;
      if (!held) end("a newer epoch took over");
    })().catch(() => end("renewal failed"));
  }, options.renewIntervalMs ?? 1_000);
  const term: LeaseTerm = {
    name,
    epoch: won.epoch,
    holder: options.holder,
    fence: { lease: name, epoch: won.epoch },
    signal: ended.signal,
    acquiredAt: Date.now(),
  };
  logger.info({ lease: name, epoch: won.epoch.toString(), previousHolder: won.previous || undefined }, "lease acquired");
  try {
    await lead(term);
  } finally {
    end("its holder returned");
    clearInterval(renewals);
    session.lost.removeEventListener("abort", onLost);
    options.signal.removeEventListener("abort", onStop);
  }
}
