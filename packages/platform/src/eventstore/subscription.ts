import type pg from "pg";
import type { Logger } from "../logging/index.ts";
import { GantryError } from "../errors/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { START, positionOf } from "./event.ts";
import { readAllEvents } from "./commit-order-reader.ts";
import type { NotificationListener } from "./notification-listener.ts";

/**
 * What a checkpointed subscription runs: `handler` gets batches of at most `batchSize` committed
 * events in commit order; when it resolves, the checkpoint moves past the batch. A handler that
 * throws stops the subscription with that error (the batch is handed over again on restart).
 */
export interface SubscriptionOptions {
  subscriptionId: string;
  handler: (events: RecordedEvent[]) => Promise<void>;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** Stops the loop; `subscribe` then resolves. */
  signal?: AbortSignal;
  /** Longest wait for a notification before re-reading anyway; default 500 ms. */
  pollIntervalMs?: number;
  logger?: Logger;
}

/** Reads and compare-and-sets the checkpoints in `subscription_checkpoints`. */
const ENSURE_CHECKPOINT_SQL = `
INSERT INTO subscription_checkpoints (subscription_id, transaction_id, global_position)
VALUES ($1, '0'::xid8, 0) ON CONFLICT (subscription_id) DO NOTHING`;
const READ_CHECKPOINT_SQL = `SELECT transaction_id::text, global_position::text FROM subscription_checkpoints WHERE subscription_id = $1`;
const ADVANCE_CHECKPOINT_SQL = `
UPDATE subscription_checkpoints SET transaction_id = $2::xid8, global_position = $3, updated_at = now()
WHERE subscription_id = $1 AND transaction_id = $4::xid8 AND global_position = $5`;

/**
 * Runs a checkpointed catch-up subscription until `signal` aborts (then resolves) or the handler
 * throws (then rejects). Loop: read after the checkpoint → handler → advance the checkpoint with
 * compare-and-set on the position it read. Competing instances of one subscription are safe: the
 * loser of the CAS re-reads the checkpoint and carries on from there, so events are handed over
 * at least once and never skipped (handlers must be idempotent). Wakes on NOTIFY, and polls every
 * `pollIntervalMs` because rows can cross the xmin horizon without a new notification.
 */
export async function runSubscription(pool: pg.Pool, listener: NotificationListener, options: SubscriptionOptions): Promise<void> {
  const { subscriptionId, handler, signal, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new GantryError("InvalidArgument", `batchSize ${batchSize} must be a positive integer`);
  await pool.query(ENSURE_CHECKPOINT_SQL, [subscriptionId]);
  let checkpoint = await readCheckpoint(pool, subscriptionId);
  await listener.listen().catch((err: unknown) => logger?.warn({ err, subscriptionId }, "LISTEN failed; polling"));
  while (!signal?.aborted) {
    const generation = listener.generation;
    const events = await readAllEvents(pool, checkpoint, batchSize);
    if (events.length === 0) {
      await listener.wait(pollIntervalMs, signal, generation);
      continue;
    }
    await handler(events);
    const next = positionOf(events[events.length - 1]!);
    if (await advanceCheckpoint(pool, subscriptionId, checkpoint, next)) {
      checkpoint = next;
    } else {
      // A competing instance moved the checkpoint: continue from wherever it got to.
      checkpoint = await readCheckpoint(pool, subscriptionId);
      logger?.debug({ subscriptionId, checkpoint }, "checkpoint moved by a competing consumer");
    }
  }
}

/** The checkpoint of a subscription: the position it has handled up to, START if it never ran. */
export async function readCheckpoint(db: Pick<pg.ClientBase, "query">, subscriptionId: string): Promise<Position> {
  const { rows } = await db.query<{ transaction_id: string; global_position: string }>(READ_CHECKPOINT_SQL, [subscriptionId]);
  const row = rows[0];
  return row === undefined ? START : { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) };
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
