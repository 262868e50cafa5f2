import type pg from "pg";
import { GantryError } from "../errors/index.ts";
import type { AppendManyResult, StreamAppend, StreamConflict } from "./append-result.ts";
import { compileAppend, findConflicts, runAppend, toSuccess, TransactionTooOldError } from "./append.ts";
import { ConcurrencyError } from "./concurrency-error.ts";
import { runTransaction } from "./transaction.ts";

// A refused append that shows no conflict afterwards (an `any` stream lost a creation race, or a
// newer transaction wrote a stream first) succeeds in a new transaction; this many times at most.
const RETRIES = 3;

/**
 * Appends to one or more streams in one transaction, all-or-nothing. A single stream is one
 * autocommit statement (atomic by itself). Several streams run in a transaction that first takes
 * an advisory lock per stream, in sorted order, before it has a transaction id: no other writer
 * of those streams can slip in between its id and its commit, so readers in commit order see
 * each stream in version order. A refusal with no conflict behind it (see RETRIES) is retried.
 */
export async function appendStreams(pool: pg.Pool, channel: string, appends: StreamAppend[]): Promise<AppendManyResult> {
  if (appends.length > 1) return appendManyInTransaction(pool, channel, appends);
  const compiled = compileAppend(appends, channel);
  for (let attempt = 0; ; attempt++) {
    const result = await runAppend(pool, compiled);
    if (result.ok) return toSuccess(appends, result.rows);
    const conflicts = await findConflicts(pool, appends, result.rows);
    if (conflicts.length > 0) return { ok: false, conflicts };
    if (attempt >= RETRIES) throw new GantryError("Aborted", `append to ${appends[0]!.streamId} kept conflicting`);
  }
}

async function appendManyInTransaction(pool: pg.Pool, channel: string, appends: StreamAppend[]): Promise<AppendManyResult> {
  compileAppend(appends, channel); // refuse bad input before taking a connection
  try {
    return await runTransaction(pool, channel, (tx) => tx.appendMany(appends), { lockStreams: appends.map((a) => a.streamId), attempts: RETRIES + 1 });
  } catch (err) {
    if (err instanceof ConcurrencyError) return { ok: false, conflicts: err.details.conflicts as StreamConflict[] };
    if (err instanceof TransactionTooOldError) throw new GantryError("Aborted", `append to ${appends.map((a) => a.streamId).join(", ")} kept conflicting`, { cause: err });
    throw err;
  }
}
