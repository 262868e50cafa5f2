import type { DescMessage, MessageShape, JsonObject } from "@bufbuild/protobuf";
import type { agentV1 } from "@gantry/proto";
import type { Fence, Logger, RecordedEvent } from "@gantry/platform";

/** An event the scheduler wants appended: a protobuf message and its metadata. */
export interface OutgoingEvent {
  schema: DescMessage;
  message: MessageShape<DescMessage>;
  correlationId?: string;
  causationId?: string;
  /** W3C trace context the event belongs to; the active one when absent. */
  traceparent?: string;
}

/** The events of one stream in a decision, at the version the scheduler knows it at. */
export interface StreamBatch {
  streamId: string;
  expectedVersion: number;
  events: OutgoingEvent[];
}

/**
 * Writes the scheduler's decisions to the log: several streams in ONE transaction, fenced by the
 * leader's lease. Resolves with the transaction's timestamp (every event's `recordedAt`) and each
 * event's payload as written (per batch, in order: what the scheduler then folds) once it
 * committed, including after a commit whose connection was lost but which did commit. Throws
 * FencedOutError when a newer leader took over, ConcurrencyError (Aborted) when a stream is not
 * at its expected version, Unavailable when the transaction did not commit.
 */
export interface DecisionAppender {
  appendBatch(batches: StreamBatch[], fence: Fence): Promise<{ recordedAt: Date; payloads: JsonObject[][] }>;
}

/** Reads one stream from the log directly (to fill a gap, or to catch up a stream that conflicted). */
export interface StreamReader {
  readStream(streamId: string, options?: { fromVersion?: number }): Promise<RecordedEvent[]>;
}

/** Delivers one batch of commands to one agent. */
export interface AgentCommandSender {
  send(agentId: string, commands: agentV1.AgentCommands): void;
}

/** What the scheduler core needs from the outside world. */
export interface SchedulerPorts {
  events: DecisionAppender;
  streams: StreamReader;
  commands: AgentCommandSender;
  logger: Logger;
  now(): number;
  newId(): string;
}

export type { JsonObject };
