import { AGENT_STATUS_STREAM, agentV1 } from "@gantry/proto";
import { ensureStream, protobufDecoder, publishCore, runDurableConsumer, subscribeCore, type Bus, type Logger } from "@gantry/platform";
import type { AgentCommandSender } from "../app/ports.ts";
import type { Scheduler } from "../app/scheduler.ts";


/** Sends command batches to agents on `agent.<agentId>.commands` (core NATS; heartbeats drive re-sends). */
export function natsCommandSender(bus: Bus): AgentCommandSender {
  return {
    send(agentId, commands) {
      publishCore(bus, `agent.${agentId}.commands`, agentV1.AgentCommandsSchema, commands);
    },
  };
}

/**
 * Connects the scheduler to its agents over NATS: registrations (request/reply), heartbeats,
 * and the durable status stream (nothing an agent reports is lost while the scheduler is down).
 * Resolves once subscribed; the status consumer runs until `signal` aborts.
 */
export async function linkAgents(bus: Bus, scheduler: Scheduler, logger: Logger, signal: AbortSignal): Promise<{ statusConsumer: Promise<void> }> {
  await subscribeCore(bus, {
    subject: "agent.register",
    queue: "scheduler",
    schema: agentV1.AgentRegistrationSchema,
    replySchema: agentV1.AgentRegisteredSchema,
    logger,
    signal,
    handler: (reg) => scheduler.onRegistration(reg),
  });
  await subscribeCore(bus, {
    subject: "agent.heartbeat",
    queue: "scheduler",
    schema: agentV1.AgentHeartbeatSchema,
    logger,
    signal,
    handler: (hb) => scheduler.onHeartbeat(hb),
  });
  const stream = await ensureStream(bus, AGENT_STATUS_STREAM);
  const statusConsumer = runDurableConsumer<agentV1.TaskStatusUpdate>(bus, {
    stream,
    durable: "scheduler_status",
    filterSubject: "agent.status.>",
    decode: protobufDecoder(agentV1.TaskStatusUpdateSchema),
    handler: (update) => scheduler.onTaskStatus(update),
    logger,
    signal,
  });
  return { statusConsumer };
}
