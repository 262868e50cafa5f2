import pg from "pg";
import { GantryError } from "../errors/index.ts";
import type { AppendManyResult, StreamAppend } from "./append-result.ts";
import { appendInTransaction, TransactionTooOldError } from "./append.ts";
import { ConcurrencyError } from "./concurrency-error.ts";

/**
 * A writer's fence: the transaction commits only while lease `lease` is still at `epoch`. The
 * lease row is read FOR SHARE at the start, so a take-over (which raises the epoch) waits for
 * this transaction to end, and this transaction fails if the take-over came first.
 */
export interface Fence {
  lease: string;
  epoch: bigint;
}

/** How `EventStore.transaction` runs a unit of work. */
export interface TransactionOptions {
  /** Commit only while this lease is held at this epoch; FencedOutError otherwise. */
  fence?: Fence;
  /** Runs of the work when a newer transaction wrote a stream first (default 5). */
  attempts?: number;
  /** How long to wait for the outcome of a commit whose connection was lost (default 30 s). */
  outcomeTimeoutMs?: number;
  /**
   * Streams to lock (advisory, by hash bucket, in order) before the transaction takes its id, so
   * that no other writer of them commits between this transaction's id and its commit.
   */
  lockStreams?: readonly string[];
}

/** The open transaction a unit of work runs in: queries and appends commit together or not at all. */
export interface EventStoreTransaction {
  /** This transaction's id (assigned at its start): what an unknown commit outcome is resolved by. */
  readonly transactionId: bigint;
  /** The transaction's timestamp: exactly the `recordedAt` of every event it appends. */
  readonly recordedAt: Date;
  /** The connection the transaction runs on, for query builders (never COMMIT or ROLLBACK on it). */
  readonly client: Pick<pg.ClientBase, "query">;
  /** Runs a statement in the transaction. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * Appends to streams in this transaction (one statement). Throws ConcurrencyError when an
   * expected version does not hold: the whole transaction is then rolled back.
   */
  appendMany(appends: StreamAppend[]): Promise<Extract<AppendManyResult, { ok: true }>>;
}

/**
 * The writer's lease was taken over (its epoch is no longer current): it must stop writing and
 * step down. Code FailedPrecondition; never retryable by the same writer.
 */
export class FencedOutError extends GantryError {
  constructor(fence: Fence) {
    super("FailedPrecondition", `lease "${fence.lease}" is no longer held at epoch ${fence.epoch}: another process took over`, {
      details: { lease: fence.lease, epoch: fence.epoch.toString() },
    });
    this.name = "FencedOutError";
  }
}

// BEGIN and `gantry_begin_transaction` (migration 0004), which locks the streams, then takes the
// transaction's id and checks the fence. Streams hash into 128 lock buckets (key 0x47414E54
// "GANT", bucket), locked in order: a transaction never holds more than 128 advisory locks
// however many streams it writes, and two writers of one stream always meet (unrelated streams
// in one bucket only wait for each other a moment). It is sent with BEGIN as ONE simple query
// (its values as literals): one round trip, not two, for every transaction (a statement with
// parameters cannot share a round trip with BEGIN); only the call is planned each time.
function beginSql(options: TransactionOptions): string {
  const lease = options.fence ? pg.escapeLiteral(options.fence.lease) : "NULL";
  const epoch = options.fence ? `${BigInt(options.fence.epoch)}` : "NULL";
  const streams = `ARRAY[${(options.lockStreams ?? []).map((s) => pg.escapeLiteral(s)).join(",")}]::text[]`;
  return `BEGIN;
SELECT xid, now, fence_holds FROM gantry_begin_transaction(${lease}, ${epoch}::bigint, ${streams})`;
}
const XACT_STATUS_SQL = `SELECT pg_xact_status($1::xid8) AS status`;
const TERMINATE_SQL = `SELECT pg_terminate_backend($1)`;

/**
 * Runs `work` in one transaction and commits. The transaction takes its id at once (and checks
 * the fence), so that:
 * - a TransactionTooOldError (a newer transaction wrote a stream first) reruns `work` in a new
 *   transaction, up to `attempts` times;
 * - a commit whose connection is lost (the outcome is unknown) is resolved by asking Postgres
 *   for the transaction's status (`pg_xact_status`) before returning: committed → `work`'s
 *   result; rolled back → Unavailable. A backend still holding it after a second is terminated,
 *   which settles it. The caller never has to guess.
 * Any other error rolls back and is thrown as is.
 */
export async function runTransaction<T>(pool: pg.Pool, channel: string, work: (tx: EventStoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(pool, channel, work, options);
    } catch (err) {
      if (!(err instanceof TransactionTooOldError) || attempt >= attempts) throw err;
    }
  }
}

async function runOnce<T>(pool: pg.Pool, channel: string, work: (tx: EventStoreTransaction) => Promise<T>, options: TransactionOptions): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client whose connection drops emits "error"; unheard, that would end the
  // process. The failing query rejects as well, which is where it is handled.
  const onError = (err: Error) => (broken ??= err);
  client.on("error", onError);
  try {
    const began = (await client.query(beginSql(options))) as unknown as pg.QueryResult<{ xid: string; now: number; fence_holds: boolean }>[];
    const { rows } = began[1]!;
    const transactionId = BigInt(rows[0]!.xid);
    if (!rows[0]!.fence_holds) throw new FencedOutError(options.fence!);
    const tx: EventStoreTransaction = {
      transactionId,
      recordedAt: new Date(rows[0]!.now * 1000),
      client,
      query: (text, values) => client.query(text, values),
      async appendMany(appends) {
        const result = await appendInTransaction(client, channel, appends);
        if (result.ok) return result;
        const first = result.conflicts[0]!;
        const error = new ConcurrencyError(first.streamId, first.expectedVersion, first.actualVersion);
        error.details.conflicts = result.conflicts;
        throw error;
      },
    };
    const result = await work(tx);
    try {
      await client.query("COMMIT");
    } catch (err) {
      broken ??= err as Error;
      // A server's answer (a DatabaseError) is definite: the commit did not happen.
      if (err instanceof pg.DatabaseError) throw err;
      const outcome = await resolveOutcome(pool, transactionId, (client as unknown as { processID?: number }).processID, options.outcomeTimeoutMs ?? 30_000);
      if (outcome === "committed") return result;
      throw new GantryError("Unavailable", `the connection was lost at commit and transaction ${transactionId} was rolled back`, { cause: err });
    }
    return result;
  } catch (err) {
    if (broken === undefined) await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken ??= rollbackErr));
    throw err;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/**
 * The outcome of a transaction whose commit was sent but not confirmed: polls `pg_xact_status`
 * until it reads committed or aborted. While it reads "in progress" after a second, the backend
 * that ran it (`backendPid`) is terminated once, which ends it either way. Throws Unavailable
 * when Postgres cannot say within `timeoutMs`.
 */
export async function resolveOutcome(pool: pg.Pool, transactionId: bigint, backendPid: number | undefined, timeoutMs: number): Promise<"committed" | "aborted"> {
  const started = Date.now();
  let terminated = false;
  let lastError: unknown;
  for (let delay = 50; Date.now() - started < timeoutMs; delay = Math.min(delay * 2, 1_000)) {
    try {
      const { rows } = await pool.query<{ status: string | null }>(XACT_STATUS_SQL, [transactionId.toString()]);
      const status = rows[0]?.status;
      if (status === "committed" || status === "aborted") return status;
      if (status === null || status === undefined) throw new GantryError("Internal", `Postgres no longer knows transaction ${transactionId}`);
      if (!terminated && backendPid !== undefined && Date.now() - started > 1_000) {
        terminated = true;
        await pool.query(TERMINATE_SQL, [backendPid]);
      }
    } catch (err) {
      if (err instanceof GantryError) throw err;
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new GantryError("Unavailable", `the outcome of transaction ${transactionId} is unknown: Postgres did not answer within ${timeoutMs} ms`, { cause: lastError });
}
