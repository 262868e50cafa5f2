import { create } from "@bufbuild/protobuf";
import { eventsV1Exec } from "@gantry/proto";
import { eventOf, recordDenials, type AccessAudit, type CallContext, type EventStore, type Logger } from "@gantry/platform";

/** One exec session as the audit log records its start. */
export interface ExecSessionRecord {
  sessionId: string;
  principal: string;
  taskId: string;
  appId: string;
  agentId: string;
  command: readonly string[];
  tty: boolean;
  stdin: boolean;
}

/** How a session ended: the command's exit (-1 when none came) and why the session closed. */
export interface ExecSessionEnd {
  exitCode: number;
  signal: string;
  reason: string;
  durationMs: number;
}

/**
 * Where exec sessions and refusals are recorded: `denied` (AccessDenied on `denials-<day>`,
 * like every service's refusals), `started` BEFORE the session reaches the agent (a session the
 * log cannot record is not opened: it rejects), `ended` once it is over (a failed append is
 * logged: the session already happened).
 */
export interface ExecAudit extends AccessAudit {
  started(ctx: CallContext, session: ExecSessionRecord): Promise<void>;
  ended(ctx: CallContext, session: ExecSessionRecord, end: ExecSessionEnd): Promise<void>;
}

/** The audit on the cluster's event log: stream `exec-<sessionId>`, the caller as acting principal. */
export function eventLogExecAudit(store: Pick<EventStore, "append">, logger: Logger): ExecAudit {
  const denials = recordDenials(store, logger);
  return {
    denied: (ctx, denial) => denials.denied(ctx, denial),
    async started(ctx, s) {
      const event = create(eventsV1Exec.ExecSessionStartedSchema, { ...s, command: [...s.command] });
      const result = await store.append(`exec-${s.sessionId}`, "no_stream", [eventOf(eventsV1Exec.ExecSessionStartedSchema, event, { principal: s.principal, correlationId: ctx.correlationId })]);
      if (!result.ok) throw new Error(`exec session ${s.sessionId} already recorded`);
    },
    async ended(ctx, s, end) {
      const event = create(eventsV1Exec.ExecSessionEndedSchema, { sessionId: s.sessionId, taskId: s.taskId, exitCode: end.exitCode, signal: end.signal, reason: end.reason, durationMs: BigInt(Math.max(0, Math.round(end.durationMs))) });
      try {
        await store.append(`exec-${s.sessionId}`, "any", [eventOf(eventsV1Exec.ExecSessionEndedSchema, event, { principal: s.principal, correlationId: ctx.correlationId })]);
      } catch (err) {
        logger.error({ err, session: s.sessionId }, "recording the end of an exec session failed");
      }
    },
  };
}
