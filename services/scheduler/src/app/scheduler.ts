import type { JsonObject } from "@bufbuild/protobuf";
import { ConcurrencyError, FencedOutError, foldInStreamOrder, GantryError, type Fence, type Position, type RecordedEvent } from "@gantry/platform";
import type { agentV1 } from "@gantry/proto";
import { DESIRED_STATE_STREAM_TYPES, foldEvent, type FoldableEvent } from "./fold-event.ts";
import { checkAgents, onHeartbeats, onRegistrations, type ReceivedHeartbeat } from "./agent-membership.ts";
import { drainAgent, killInstances, resetLaunchDelay, undrainAgent, type KilledInstances } from "./operator-actions.ts";
import { reconcileNow, type PlacementPolicy } from "./reconcile-pass.ts";
import type { SchedulerPorts, StreamBatch } from "./ports.ts";
import { SchedulerState } from "./scheduler-state.ts";
import { onTaskStatuses, type StatusReport } from "./task-status.ts";

/** Tunables of the scheduler core, compiled by the caller. */
export interface SchedulerSettings {
  /** Seconds between an agent's heartbeats in a small cluster (the interval grows with the cluster, see maxHeartbeatsPerSecond). */
  heartbeatIntervalSeconds: number;
  /**
   * Heartbeats per second the whole cluster may send (Nomad's max_heartbeats_per_second): an
   * agent registering into a cluster of N agents is asked to beat every max(base, N / this) s.
   */
  maxHeartbeatsPerSecond: number;
  /** Missed heartbeat intervals before an agent is declared lost. */
  missedHeartbeatsBeforeLost: number;
  /** Seconds a launched task may stay STAGING, unreported by its agent, before the launch is sent again. */
  relaunchAfterSeconds: number;
  /** How instances are ranked among agents that fit, and whether GPU agents are kept for GPU work. */
  placement: PlacementPolicy;
}

/** The leadership term this scheduler acts under: its epoch travels with every command, its fence with every append. */
export interface LeaderTerm {
  epoch: bigint;
  fence: Fence;
  /** The event log the epoch counts in (agents start their epochs afresh for another log). */
  logId: string;
}

/**
 * What every input and decision of the scheduler shares (the files beside this one take one
 * kind of input each: the log, agents' membership, agents' status reports, and the reconcile pass).
 */
export interface SchedulerContext {
  readonly state: SchedulerState;
  readonly ports: SchedulerPorts;
  readonly settings: SchedulerSettings;
  /** The term this scheduler leads; throws Unavailable while it stands by. */
  leading(): LeaderTerm;
  /** Appends one decision (one transaction, fenced) and folds what was written. */
  append(batches: StreamBatch[]): Promise<void>;
  reconcileSoon(): void;
  /** Correlation id (the deployment) and trace context of the change that last touched an app. */
  originOf(appId: string): { correlationId?: string; traceparent?: string };
}

const DESIRED = new Set<string>(DESIRED_STATE_STREAM_TYPES);

/**
 * The scheduler core. Its state is a fold of the log; every input is serialised through one
 * queue, so decisions never interleave. It stands by (folding what the leader writes) until it is
 * given a term; while leading it takes agents' registrations, heartbeats and status reports,
 * places and kills, and every append is fenced by its term. An append refused by the fence ends
 * the term at once (`onDeposed`).
 */
export class Scheduler implements SchedulerContext {
  readonly state = new SchedulerState();
  readonly ports: SchedulerPorts;
  readonly settings: SchedulerSettings;
  #queue: Promise<unknown> = Promise.resolve();
  #term: (LeaderTerm & { deposed: () => void }) | undefined;
  #reconcileScheduled = false;
  #agentCheckQueued: Promise<void> | undefined;
  #heartbeats = new Map<string, ReceivedHeartbeat>();
  #heartbeatsQueued: Promise<void> | undefined;
  #registrations: { reg: agentV1.AgentRegistration; answer: (r: agentV1.AgentRegistered) => void; fail: (err: unknown) => void }[] = [];
  #registrationsQueued = false;

  constructor(ports: SchedulerPorts, settings: SchedulerSettings) {
    this.ports = ports;
    this.settings = settings;
  }

  /** Runs `fn` after every change queued before it. */
  serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  // ---- the log --------------------------------------------------------------------------------

  /**
   * Folds a page of the log (commit order; each stream in version order, gaps read from the
   * stream) and moves the folded position to `next`. A leader reconciles when desired state changed.
   */
  applyLog(events: readonly (RecordedEvent | FoldableEvent)[], next?: Position): Promise<void> {
    return this.serial(async () => {
      let desired = false;
      await foldInStreamOrder(this.ports.streams, { versionOf: (id) => this.state.versionOf(id), apply: (e) => foldEvent(this.state, e as FoldableEvent) }, events);
      for (const e of events) if (DESIRED.has(e.streamId.slice(0, e.streamId.indexOf("-")))) desired = true;
      if (next) this.state.position = next;
      if (desired && this.#term) this.reconcileSoon();
    });
  }

  /** Moves the folded position on (the log was read up to `position` with nothing to fold). */
  advanceTo(position: Position): Promise<void> {
    return this.serial(() => {
      const p = this.state.position;
      if (position.transactionId > p.transactionId || (position.transactionId === p.transactionId && position.globalPosition > p.globalPosition)) this.state.position = position;
    });
  }

  // ---- leadership -----------------------------------------------------------------------------

  /**
   * Starts leading under `term` (the state must be caught up with the log first). Every agent
   * gets a full heartbeat window from now: heartbeats went to the previous leader.
   */
  beginTerm(term: LeaderTerm, onDeposed: () => void): Promise<void> {
    return this.serial(() => {
      this.#term = { ...term, deposed: onDeposed };
      const now = this.ports.now();
      for (const agent of this.state.agents.values()) agent.lastSeenAt = now;
      this.ports.logger.info({ epoch: term.epoch.toString(), runSpecs: this.state.runSpecs.size, instances: this.state.instances.size, agents: this.state.agents.size }, "leading");
      // Whatever waited under the previous leader is looked at again.
      for (const id of this.state.runSpecs.keys()) this.state.dirty.add(id);
    });
  }

  /** Stops leading (after the queue drained); inputs that need a leader are refused from now on. */
  endTerm(): Promise<void> {
    return this.serial(() => {
      this.#term = undefined;
    });
  }

  /** The current term, or undefined while standing by. */
  get term(): LeaderTerm | undefined {
    return this.#term;
  }

  leading(): LeaderTerm {
    if (!this.#term) throw new GantryError("Unavailable", "this scheduler is not the leader");
    return this.#term;
  }

  // ---- agents ---------------------------------------------------------------------------------

  /**
   * Records an agent's registration and answers it with this leader's epoch. Registrations that
   * arrive while the queue is busy are recorded together, in one transaction.
   */
  onRegistration(reg: agentV1.AgentRegistration): Promise<agentV1.AgentRegistered> {
    return new Promise((answer, fail) => {
      this.#registrations.push({ reg, answer, fail });
      if (this.#registrationsQueued) return;
      this.#registrationsQueued = true;
      void this.serial(async () => {
        this.#registrationsQueued = false;
        const batch = this.#registrations.splice(0);
        try {
          const answers = await onRegistrations(this, batch.map((b) => b.reg));
          batch.forEach((b, i) => b.answer(answers[i]!));
        } catch (err) {
          for (const b of batch) b.fail(err);
        }
      });
    });
  }

  /**
   * Notes an agent's heartbeat and repairs what it shows (see agent-membership.ts). The agent
   * counts as seen on arrival, not when the queue gets to it, so a busy queue never makes a live
   * agent look lost; the repairs of every heartbeat that arrived meanwhile (the latest of each
   * agent) are done together, in one queued step.
   */
  onHeartbeat(hb: agentV1.AgentHeartbeat): Promise<void> {
    const seenAt = this.ports.now();
    const known = this.state.agents.get(hb.agentId);
    if (known) known.lastSeenAt = Math.max(known.lastSeenAt, seenAt);
    this.#heartbeats.set(hb.agentId, { hb, seenAt });
    this.#heartbeatsQueued ??= this.serial(async () => {
      this.#heartbeatsQueued = undefined;
      const batch = [...this.#heartbeats.values()];
      this.#heartbeats.clear();
      if (this.#term) await onHeartbeats(this, batch);
    });
    return this.#heartbeatsQueued;
  }

  /** Records an agent's status report (`sequence`: its place in the AGENT_STATUS stream). */
  onTaskStatus(update: agentV1.TaskStatusUpdate, sequence: bigint): Promise<void> {
    return this.onTaskStatuses([{ update, sequence }]);
  }

  /** Records a batch of agents' status reports, in stream order, in one transaction. */
  onTaskStatuses(reports: readonly StatusReport[]): Promise<void> {
    return this.serial(() => onTaskStatuses(this, reports));
  }

  /** Declares agents lost when they missed their heartbeats. Coalesced: a check already queued covers this one. */
  checkAgents(): Promise<void> {
    if (!this.#term) return Promise.resolve();
    this.#agentCheckQueued ??= this.serial(async () => {
      this.#agentCheckQueued = undefined;
      if (this.#term) await checkAgents(this);
    });
    return this.#agentCheckQueued;
  }

  /** Puts an agent in maintenance (no new instances; the ones it runs stay until told). */
  drainAgent(agentId: string, reason: string): Promise<void> {
    return this.serial(() => drainAgent(this, agentId, reason));
  }

  /** Lets a drained agent take new instances again. */
  undrainAgent(agentId: string): Promise<void> {
    return this.serial(() => undrainAgent(this, agentId));
  }

  /** Ends a run spec's launch backoff now (DELETE /v2/queue/{id}/delay). */
  resetLaunchDelay(runSpecId: string): Promise<void> {
    return this.serial(() => resetLaunchDelay(this, runSpecId));
  }

  /** Kills the live instances named by task or instance ids (they are replaced). */
  killInstances(ids: readonly string[], reason: string): Promise<KilledInstances> {
    return this.serial(() => killInstances(this, ids, reason));
  }

  // ---- decisions ------------------------------------------------------------------------------

  /** The periodic pass: run specs still waiting (for room, their backoff's end, or unreachable agents' deadlines) are looked at again. */
  tick(): void {
    for (const id of this.state.explanations.waitingIds()) this.state.dirty.add(id);
    for (const id of this.state.awaitingAgents) this.state.dirty.add(id);
    this.reconcileSoon();
  }

  /** Schedules one reconciliation after the current queue (coalescing repeated requests); only while leading. */
  reconcileSoon(): void {
    if (this.#reconcileScheduled || !this.#term) return;
    this.#reconcileScheduled = true;
    void this.serial(async () => {
      this.#reconcileScheduled = false;
      if (this.#term) await reconcileNow(this, this.settings.placement);
    }).catch((err) => this.ports.logger.error({ err }, "reconciliation failed; will retry on the next tick"));
  }

  originOf(appId: string): { correlationId?: string; traceparent?: string } {
    const origin = this.state.appOrigins.get(appId);
    if (!origin) return {};
    return { correlationId: origin.deploymentId, ...(origin.traceparent ? { traceparent: origin.traceparent } : {}) };
  }

  /**
   * Appends a decision to the scheduler's streams at their known versions, fenced by the term,
   * then folds what was written (with the transaction's own timestamp, as a standby folds it).
   * Deposed: ends the term. A stream not at the version known here (the state is behind the log):
   * reads it from the log, so the next decision starts from the truth.
   */
  async append(batches: StreamBatch[]): Promise<void> {
    this.leading();
    const term = this.#term!;
    let written: { recordedAt: Date; payloads: JsonObject[][] };
    try {
      written = await this.ports.events.appendBatch(batches, term.fence);
    } catch (err) {
      if (err instanceof FencedOutError) {
        this.ports.logger.warn({ epoch: term.epoch.toString() }, "a newer leader took over; stepping down");
        this.#term = undefined;
        term.deposed();
      } else if (err instanceof ConcurrencyError) {
        await this.#catchUpStreams((err.details.conflicts as { streamId: string }[] | undefined)?.map((c) => c.streamId) ?? [err.streamId]);
      }
      throw err;
    }
    const { recordedAt, payloads } = written;
    batches.forEach((b, bi) => {
      b.events.forEach((ev, i) => {
        foldEvent(this.state, { streamId: b.streamId, streamVersion: b.expectedVersion + i + 1, type: ev.schema.name, data: payloads[bi]![i]!, recordedAt });
      });
    });
  }

  async #catchUpStreams(streamIds: string[]): Promise<void> {
    for (const streamId of streamIds) {
      const events = await this.ports.streams.readStream(streamId, { fromVersion: this.state.versionOf(streamId) + 1 });
      for (const e of events) foldEvent(this.state, e);
    }
  }
}
