import { randomUUID } from "node:crypto";
import { ConcurrencyError, hasCode, type Logger, type StreamAppend } from "@gantry/platform";
import type { RegistryProjection } from "./registry.projection.ts";
import type { RegistryState } from "./registry-state.ts";

/** Who asks, and the ids that tie their request to what follows (recorded as event metadata). */
export interface CommandContext {
  principal: string;
  correlationId: string;
  traceparent?: string;
}

/** The registry's writes to the log: every append of a change in ONE transaction. */
export interface ChangeWriter {
  /** Appends all or nothing; throws ConcurrencyError (Aborted) when a stream is not at its expected version. */
  appendMany(appends: StreamAppend[], ctx: CommandContext): Promise<void>;
}

/** What the runner writes: the appends of one change (a ChangeDecision, or a bare cancellation). */
export interface Writable {
  appends: StreamAppend[];
}

/** What a decision may use besides the state: the clock and a fresh deployment id. */
export interface DecisionEnv {
  now: Date;
  deploymentId: string;
}

/** Dependencies of a ChangeRunner. */
export interface ChangeRunnerOptions {
  projection: RegistryProjection;
  writer: ChangeWriter;
  /** Folds what other writers appended until every conflicting stream reached the version the conflict reported. */
  catchUp: (conflicts: { streamId: string; actualVersion: number }[]) => Promise<void>;
  /** Folds what is new in the given deployments' streams, read directly (a lock may have just been released). */
  refreshDeployments: (ids: readonly string[]) => Promise<void>;
  logger?: Logger;
  now?: () => Date;
  newId?: () => string;
  /** Decisions tried per command before a conflict is given to the caller as Aborted. */
  attempts?: number;
}

/**
 * Runs commands one at a time in this process (so they never race each other) and makes each
 * one unit of work: decide on the current state → append every event in one transaction →
 * fold the events into the projection at once (read-your-writes). When another replica won a
 * race (ConcurrencyError), it catches up and decides again, up to `attempts` times; the last
 * conflict reaches the caller as Aborted (retryable). A decision refused because deployments
 * lock its apps is decided once more after reading those deployments' streams directly, so a
 * deployment that finished a moment ago (its end not folded here yet) never yields a 409. A
 * decision that throws writes nothing.
 */
export class ChangeRunner {
  private readonly options: Required<Omit<ChangeRunnerOptions, "logger">> & { logger?: Logger };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ChangeRunnerOptions) {
    this.options = { now: () => new Date(), newId: randomUUID, attempts: 3, ...options };
  }

  /** Runs `decide` exclusively; writes its `decision` (if any) and returns what it returned. */
  run<T extends { decision: Writable | undefined }>(ctx: CommandContext, decide: (state: RegistryState, env: DecisionEnv) => T): Promise<T> {
    const next = this.queue.then(() => this.attempt(ctx, decide));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async attempt<T extends { decision: Writable | undefined }>(ctx: CommandContext, decide: (state: RegistryState, env: DecisionEnv) => T): Promise<T> {
    const { projection, writer, attempts } = this.options;
    for (let attempt = 1; ; attempt++) {
      const out = await this.decideFresh(decide);
      const decision = out.decision;
      if (!decision) return out;
      try {
        await writer.appendMany(decision.appends, ctx);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= attempts) throw err;
        const conflicts = (err.details.conflicts as { streamId: string; actualVersion: number }[] | undefined) ?? [{ streamId: err.streamId, actualVersion: err.actualVersion }];
        this.options.logger?.warn({ conflicts, attempt, correlationId: ctx.correlationId }, "lost a race with another writer; catching up and deciding again");
        await this.options.catchUp(conflicts);
        continue;
      }
      applyAppends(projection, decision.appends);
      return out;
    }
  }

  /** Decides; when refused by deployment locks, refreshes those deployments and decides once more. */
  private async decideFresh<T>(decide: (state: RegistryState, env: DecisionEnv) => T): Promise<T> {
    const run = () => decide(this.options.projection.state(), { now: this.options.now(), deploymentId: this.options.newId() });
    try {
      return run();
    } catch (err) {
      const locking = lockingDeployments(err);
      if (locking.length === 0) throw err;
      await this.options.refreshDeployments(locking);
      return run();
    }
  }
}

/** The deployments named by a lock refusal (`lockedError`); empty for any other error. */
function lockingDeployments(err: unknown): string[] {
  if (!hasCode(err, "FailedPrecondition")) return [];
  const deployments = err.details.deployments;
  return Array.isArray(deployments) ? deployments.map((d) => String((d as { id?: unknown }).id)) : [];
}

/** Folds appended events into the projection with the stream versions they got. */
export function applyAppends(projection: RegistryProjection, appends: readonly StreamAppend[]): void {
  for (const a of appends) {
    const base = typeof a.expectedVersion === "number" ? a.expectedVersion : 0;
    a.events.forEach((e, i) => projection.apply({ streamId: a.streamId, streamVersion: base + i + 1, type: e.type, data: e.data }));
  }
}
