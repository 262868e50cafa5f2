import { runForLease, type Bus, type EventStore, type LeaseTerm, type Logger } from "@gantry/platform";
import { DESIRED_STATE_STREAM_TYPES, FOLDED_STREAM_TYPES } from "./app/fold-event.ts";
import type { Scheduler } from "./app/scheduler.ts";
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_SCHEMA_VERSION } from "./app/state-snapshot.ts";
import { snapshotDue } from "./app/snapshot-policy.ts";
import { serveAgents } from "./adapters/agent-link.nats.ts";
import { catchUpLog, followLog } from "./adapters/log-input.postgres.ts";
import type { SnapshotStore } from "./adapters/snapshot-store.postgres.ts";
import { consumeStatusReports } from "./adapters/status-input.nats.ts";

/** The lease schedulers compete for. */
export const SCHEDULER_LEASE = "scheduler";

/** What the scheduler's roles need. */
export interface SchedulerRolesOptions {
  store: EventStore;
  bus: Bus;
  scheduler: Scheduler;
  snapshots: SnapshotStore;
  statusStream: string;
  /** The id of the event log (ClusterDatabase.logId): what the leader's epochs count in. */
  logId: string;
  logger: Logger;
  signal: AbortSignal;
  /** Who campaigns (default: this process). */
  holder?: string;
  /** The longest a state that moved on goes without a snapshot (default 10 min; see snapshotSaver). */
  snapshotIntervalMs?: number;
  /** How often a standby tries to take the lease (default 250 ms). */
  leaseRetryIntervalMs?: number;
}

/** A started scheduler process: its state restored, standing by or leading. */
export interface SchedulerRoles {
  /** Events folded at start after the snapshot (if any). */
  foldedAtStart: number;
  /** Whether a snapshot was loaded at start. */
  fromSnapshot: boolean;
  /** Settles once the signal aborted and the current role ended (a last snapshot saved). */
  done: Promise<void>;
}

/**
 * Runs one scheduler process through its roles:
 *
 *   start:    load the latest snapshot, fold the log after it (every type the state folds)
 *   standby:  follow the log (the leader's own events included: warm state), save snapshots,
 *             campaign for the `scheduler` lease
 *   leader:   fold what the previous leader committed (up to the first transaction id not yet
 *             assigned when the lease was taken) → begin the term → follow desired state only
 *             (its own events are folded as it appends them) → take agents' registrations and
 *             heartbeats → read agents' status reports from the sequence after the last one the
 *             log records → reconcile every second and on every change
 *   deposed:  (lease lost, or an append refused by the fence) stop all of that, stand by again
 *
 * Resolves once the state is restored; `done` settles when the signal aborted.
 */
export async function startSchedulerRoles(options: SchedulerRolesOptions): Promise<SchedulerRoles> {
  const { store, scheduler, snapshots, logger, signal } = options;
  let fromSnapshot = false;
  const snapshot = await snapshots.load();
  if (snapshot && snapshot.schemaVersion === SNAPSHOT_SCHEMA_VERSION) {
    decodeSnapshot(scheduler.state, snapshot.data, scheduler.ports.now());
    fromSnapshot = true;
  }
  const foldedAtStart = await catchUpLog(store, scheduler, FOLDED_STREAM_TYPES, signal, logger);
  logger.info({ fromSnapshot, events: foldedAtStart, apps: scheduler.state.runSpecs.size, instances: scheduler.state.instances.size }, "scheduler state restored");

  const saver = snapshotSaver(options);
  const standby = standbyFollower(options);
  standby.start();
  const done = (async () => {
    await runForLease(
      { pool: store.pool, name: SCHEDULER_LEASE, logger, signal, ...(options.holder ? { holder: options.holder } : {}), ...(options.leaseRetryIntervalMs ? { retryIntervalMs: options.leaseRetryIntervalMs } : {}) },
      async (term) => {
        await standby.stop();
        try {
          await lead(options, term);
        } finally {
          if (!signal.aborted) standby.start();
        }
      },
    );
    await standby.stop();
    await saver.stop();
  })();
  return { foldedAtStart, fromSnapshot, done };
}

/** The standby's follower of everything the state folds (the leader's own events included). */
function standbyFollower(options: SchedulerRolesOptions) {
  const { store, scheduler, logger } = options;
  let controller: AbortController | undefined;
  let running: Promise<void> = Promise.resolve();
  return {
    start() {
      const own = (controller = new AbortController());
      running = followLog(store, scheduler, FOLDED_STREAM_TYPES, own.signal, logger);
    },
    async stop() {
      controller?.abort();
      await running;
    },
  };
}

/** One term as leader; returns when the term ended (lease lost, deposed, or stopping). */
async function lead(options: SchedulerRolesOptions, term: LeaseTerm): Promise<void> {
  const { store, bus, scheduler, logger } = options;
  const deposed = new AbortController();
  const signal = AbortSignal.any([term.signal, deposed.signal, options.signal]);
  const timers: NodeJS.Timeout[] = [];
  let follower: Promise<void> = Promise.resolve();
  let status: Promise<void> = Promise.resolve();
  try {
    // Everything the previous leader committed: every transaction id below xmax was assigned
    // before the take-over committed, and the take-over waited for the old epoch's transactions.
    const { rows } = await store.pool.query<{ xmax: string }>("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax");
    await catchUpLog(store, scheduler, FOLDED_STREAM_TYPES, signal, logger, { transactionId: BigInt(rows[0]!.xmax), globalPosition: 0n });
    if (signal.aborted) return;
    await scheduler.beginTerm({ epoch: term.epoch, fence: term.fence, logId: options.logId }, () => deposed.abort());
    follower = followLog(store, scheduler, DESIRED_STATE_STREAM_TYPES, signal, logger);
    await serveAgents(bus, scheduler, logger, signal);
    status = consumeStatusReports(bus, options.statusStream, scheduler, scheduler.state.lastStatusSequence + 1n, logger, signal);
    timers.push(setInterval(() => void scheduler.checkAgents().catch((err) => logger.error({ err }, "agent check failed")), 1_000));
    timers.push(setInterval(() => scheduler.tick(), 1_000));
    scheduler.reconcileSoon();
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  } finally {
    deposed.abort();
    for (const t of timers) clearInterval(t);
    await Promise.allSettled([follower, status]);
    await scheduler.endTerm();
    logger.info({ epoch: term.epoch.toString() }, "stopped leading");
  }
}

/** How often the saver asks whether a snapshot is due. */
const SNAPSHOT_CHECK_MS = 5_000;

/** Saves a snapshot whenever one is due (see snapshotDue), and once more on stop. */
function snapshotSaver(options: SchedulerRolesOptions) {
  const { scheduler, snapshots, logger } = options;
  const { state } = scheduler;
  let saved = { position: state.position, folded: state.foldedEvents, at: Date.now() };
  const save = () =>
    scheduler.serial(async () => {
      if (state.foldedEvents === saved.folded) return;
      const started = performance.now();
      const { position, data } = encodeSnapshot(state);
      const encodedMs = Math.round(performance.now() - started);
      if (position.transactionId === saved.position.transactionId && position.globalPosition === saved.position.globalPosition) return;
      await snapshots.save(position, SNAPSHOT_SCHEMA_VERSION, data);
      saved = { position, folded: state.foldedEvents, at: Date.now() };
      logger.info({ bytes: data.length, instances: state.instances.size, encodedMs }, "snapshot saved");
    });
  const maxAgeMs = options.snapshotIntervalMs ?? 600_000;
  const timer = setInterval(() => {
    if (snapshotDue({ foldedEvents: state.foldedEvents - saved.folded, elapsedMs: Date.now() - saved.at }, state.instances.size, maxAgeMs)) {
      void save().catch((err) => logger.warn({ err }, "snapshot not saved"));
    }
  }, Math.min(SNAPSHOT_CHECK_MS, maxAgeMs));
  return {
    async stop() {
      clearInterval(timer);
      await save().catch((err) => logger.warn({ err }, "snapshot not saved"));
    },
  };
}
