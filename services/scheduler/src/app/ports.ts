import type { DescMessage, MessageShape, JsonObject } from "@bufbuild/protobuf";
import type { agentV1 } from "@gantry/proto";
import type { Logger } from "@gantry/platform";

/** An event the scheduler wants appended: a protobuf message and its metadata. */
export interface OutgoingEvent {
  schema: DescMessage;
  message: MessageShape<DescMessage>;
  correlationId?: string;
  causationId?: string;
  /** W3C trace context the event belongs to; the active one when absent. */
  traceparent?: string;
}

/** Appends to several streams in one transaction, each at an expected version. */
export interface EventAppender {
  appendBatch(batches: { streamId: string; expectedVersion: number; events: OutgoingEvent[] }[]): Promise<void>;
}

/** Delivers one batch of commands to one agent. */
export interface AgentCommandSender {
  send(agentId: string, commands: agentV1.AgentCommands): void;
}

/** What the scheduler core needs from the outside world. */
export interface SchedulerPorts {
  events: EventAppender;
  commands: AgentCommandSender;
  logger: Logger;
  now(): number;
  newId(): string;
}

export type { JsonObject };
