import type pg from "pg";
import type { Logger } from "../logging/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { START } from "./event.ts";
import { runFollower } from "./follower.ts";
import type { NotificationListener } from "./notification-listener.ts";
import { runTransaction, type EventStoreTransaction } from "./transaction.ts";

/**
 * What a checkpointed subscription runs: `handler` gets batches of at most `batchSize` committed
 * events in commit order (of `streamTypes` only, when given); when it resolves, the checkpoint
 * moves past the batch. A handler that throws stops the subscription with that error (the batch
 * is handed over again on restart).
 */
export interface SubscriptionOptions {
  subscriptionId: string;
  handler: (events: RecordedEvent[]) => Promise<void>;
  streamTypes?: readonly string[];
  /** Events per batch; default 500. */
  batchSize?: number;
  /** Stops the loop; `subscribe` then resolves. */
  signal?: AbortSignal;
  /** Longest wait for a notification before re-reading anyway; default 500 ms. */
  pollIntervalMs?: number;
  logger?: Logger;
}

/**
 * A projection kept in Postgres: like a subscription, but `handler` writes its rows with the
 * transaction it is given, and the checkpoint advances in that same transaction, so rows and
 * checkpoint commit together or not at all (exactly-once effects, even with competing instances).
 */
export interface ProjectionOptions extends Omit<SubscriptionOptions, "subscriptionId" | "handler"> {
  projectionId: string;
  handler: (events: RecordedEvent[], tx: EventStoreTransaction) => Promise<void>;
}

const ENSURE_CHECKPOINT_SQL = `
INSERT INTO subscription_checkpoints (subscription_id, transaction_id, global_position)
VALUES ($1, '0'::xid8, 0) ON CONFLICT (subscription_id) DO NOTHING`;
const READ_CHECKPOINT_SQL = `SELECT transaction_id::text, global_position::text FROM subscription_checkpoints WHERE subscription_id = $1`;
const LOCK_CHECKPOINT_SQL = `${READ_CHECKPOINT_SQL} FOR UPDATE`;
const ADVANCE_CHECKPOINT_SQL = `
UPDATE subscription_checkpoints SET transaction_id = $2::xid8, global_position = $3, updated_at = now()
WHERE subscription_id = $1 AND transaction_id = $4::xid8 AND global_position = $5`;
const SET_CHECKPOINT_SQL = `
INSERT INTO subscription_checkpoints (subscription_id, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
ON CONFLICT (subscription_id) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
WHERE (subscription_checkpoints.transaction_id, subscription_checkpoints.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`;

/**
 * Runs a checkpointed catch-up subscription until `signal` aborts (then resolves) or the handler
 * throws (then rejects). Loop: read after the checkpoint → handler → advance the checkpoint with
 * compare-and-set on the position it read. Competing instances of one subscription are safe: the
 * loser of the CAS re-reads the checkpoint and carries on from there, so events are handed over
 * at least once and never skipped (handlers must be idempotent).
 */
export async function runSubscription(pool: pg.Pool, listener: NotificationListener, options: SubscriptionOptions): Promise<void> {
  const { subscriptionId, handler, logger } = options;
  await pool.query(ENSURE_CHECKPOINT_SQL, [subscriptionId]);
  let checkpoint = await readCheckpoint(pool, subscriptionId);
  await runFollower(pool, listener, {
    ...followOptions(options),
    after: checkpoint,
    handler: async (events, next) => {
      await handler(events);
      if (await advanceCheckpoint(pool, subscriptionId, checkpoint, next)) {
        checkpoint = next;
        return;
      }
      // A competing instance moved the checkpoint: continue from wherever it got to.
      checkpoint = await readCheckpoint(pool, subscriptionId);
      logger?.debug({ subscriptionId, checkpoint }, "checkpoint moved by a competing consumer");
      return checkpoint;
    },
  });
}

/**
 * Runs a Postgres projection until `signal` aborts or the handler throws. Each batch is one
 * transaction: lock the checkpoint row, check it is still where this instance read from (else
 * continue from where a competing instance got to, writing nothing), run the handler with the
 * transaction, move the checkpoint, commit.
 */
export async function runProjection(pool: pg.Pool, channel: string, listener: NotificationListener, options: ProjectionOptions): Promise<void> {
  const { projectionId, handler, logger } = options;
  await pool.query(ENSURE_CHECKPOINT_SQL, [projectionId]);
  let checkpoint = await readCheckpoint(pool, projectionId);
  await runFollower(pool, listener, {
    ...followOptions(options),
    after: checkpoint,
    handler: async (events, next) => {
      const moved = await runTransaction(pool, channel, async (tx) => {
        const current = await readCheckpoint(tx.client, projectionId, true);
        if (!samePosition(current, checkpoint)) return current;
        await handler(events, tx);
        await setCheckpoint(tx.client, projectionId, next);
        return undefined;
      });
      if (moved === undefined) {
        checkpoint = next;
        return;
      }
      // A competing instance handled this batch (or more) first: continue from where it got to.
      logger?.debug({ projectionId, checkpoint: moved }, "checkpoint moved by a competing projection");
      checkpoint = moved;
      return moved;
    },
  });
}

function samePosition(a: Position, b: Position): boolean {
  return a.transactionId === b.transactionId && a.globalPosition === b.globalPosition;
}

function followOptions(options: SubscriptionOptions | ProjectionOptions) {
  return {
    ...(options.streamTypes ? { streamTypes: options.streamTypes } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
}

/** The checkpoint of a subscription: the position it has handled up to, START if it never ran. `lock` takes its row FOR UPDATE. */
export async function readCheckpoint(db: Pick<pg.ClientBase, "query">, subscriptionId: string, lock = false): Promise<Position> {
  const { rows } = await db.query<{ transaction_id: string; global_position: string }>(lock ? LOCK_CHECKPOINT_SQL : READ_CHECKPOINT_SQL, [subscriptionId]);
  const row = rows[0];
  return row === undefined ? START : { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) };
}

/**
 * Moves a checkpoint forward, never back (a single writer's progress mark, such as the relay's):
 * a late write, such as a relay's that lost its lease while its last batch settled, cannot undo
 * a newer one.
 */
export async function setCheckpoint(db: Pick<pg.ClientBase, "query">, subscriptionId: string, position: Position): Promise<void> {
  await db.query(SET_CHECKPOINT_SQL, [subscriptionId, position.transactionId.toString(), position.globalPosition.toString()]);
}

/** Moves a checkpoint from `from` to `to` if it is still at `from`; false when another instance moved it. */
async function advanceCheckpoint(db: Pick<pg.ClientBase, "query">, subscriptionId: string, from: Position, to: Position): Promise<boolean> {
  const result = await db.query(ADVANCE_CHECKPOINT_SQL, [
    subscriptionId,
    to.transactionId.toString(),
    to.globalPosition.toString(),
    from.transactionId.toString(),
    from.globalPosition.toString(),
  ]);
  return result.rowCount === 1;
}
