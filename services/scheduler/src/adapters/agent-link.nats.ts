import { AGENT_STATUS_STREAM, agentV1 } from "@gantry/proto";
import { ensureStream, publishCore, subscribeCore, type Bus, type Logger } from "@gantry/platform";
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

/** Ensures the agents' status stream exists (agents may start before any scheduler). */
export function ensureAgentStatusStream(bus: Bus): Promise<string> {
  return ensureStream(bus, AGENT_STATUS_STREAM);
}

/**
 * Takes agents' registrations (request/reply) and heartbeats while `signal` is live: only the
 * leader subscribes, so a standby never answers an agent. Resolves once subscribed. A deposed
 * leader that has not noticed yet cannot answer either: its appends fail the fence, and a
 * registration is answered only after its AgentRegistered was appended.
 */
export async function serveAgents(bus: Bus, scheduler: Scheduler, logger: Logger, signal: AbortSignal): Promise<void> {
  await subscribeCore(bus, {
    subject: "agent.register",
    schema: agentV1.AgentRegistrationSchema,
    replySchema: agentV1.AgentRegisteredSchema,
    logger,
    signal,
    // Registrations arriving together are recorded together (one transaction), each answered after it.
    concurrent: true,
    handler: (reg) => scheduler.onRegistration(reg),
  });
  await subscribeCore(bus, {
    subject: "agent.heartbeat",
    schema: agentV1.AgentHeartbeatSchema,
    logger,
    signal,
    // Not awaited: heartbeats are noted on arrival and repaired in batches (see Scheduler.onHeartbeat).
    handler: async (hb) => void scheduler.onHeartbeat(hb).catch((err) => logger.warn({ err, agent: hb.agentId }, "heartbeat repair failed")),
  });
}
