import { create } from "@bufbuild/protobuf";
import { AGENT_STATUS_STREAM, agentV1 } from "@gantry/proto";
import { ensureStream, publishCore, requestReply, subscribeCore, type Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";

/** Heartbeat interval used when the scheduler's answer leaves it 0. */
export const DEFAULT_HEARTBEAT_SECONDS = 2;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Ensures the status stream exists (the agent may start before the scheduler). */
export function ensureStatusStream(bus: Bus): Promise<string> {
  return ensureStream(bus, AGENT_STATUS_STREAM);
}

/** Subscribes to `agent.<agentId>.commands`; each batch is handed to `onCommands` in arrival order. */
export function subscribeCommands(bus: Bus, agentId: string, logger: Logger, signal: AbortSignal, onCommands: (batch: agentV1.AgentCommands) => Promise<void>): Promise<void> {
  return subscribeCore(bus, {
    subject: `agent.${agentId}.commands`,
    schema: agentV1.AgentCommandsSchema,
    logger,
    signal,
    handler: (batch) => onCommands(batch),
  });
}

const COMMANDS_SUFFIX = ".commands";

/**
 * Subscribes ONCE to every agent's commands (`agent.*.commands` in the bus's cluster) and hands
 * each batch to `onCommands` with the agent id taken from its subject, in arrival order (one
 * batch at a time across all agents: keep `onCommands` quick). For processes hosting many
 * agents (simulated agents), where a subscription per agent would cost a server interest each.
 * Batches for ids the process does not host arrive too; `onCommands` ignores them.
 */
export function subscribeAllCommands(bus: Bus, logger: Logger, signal: AbortSignal, onCommands: (agentId: string, batch: agentV1.AgentCommands) => Promise<void>): Promise<void> {
  const prefix = bus.names.subject("agent.");
  return subscribeCore(bus, {
    subject: `agent.*${COMMANDS_SUFFIX}`,
    schema: agentV1.AgentCommandsSchema,
    logger,
    signal,
    handler: (batch, raw) => onCommands(raw.subject.slice(prefix.length, -COMMANDS_SUFFIX.length), batch),
  });
}

/**
 * Registers with the scheduler (`agent.register`, request/reply), retrying with backoff
 * (0.5 s doubling to 5 s) until it answers; undefined when `signal` aborted first.
 */
export async function registerAgent(bus: Bus, registration: agentV1.AgentRegistration, logger: Logger, signal: AbortSignal): Promise<agentV1.AgentRegistered | undefined> {
  let delay = 500;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await requestReply(bus, "agent.register", agentV1.AgentRegistrationSchema, registration, agentV1.AgentRegisteredSchema, 3_000);
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: (err as Error).message, attempt }, "scheduler did not answer the registration; retrying");
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 5_000);
    }
  }
  return undefined;
}

/** Publishes `agent.heartbeat` every `intervalSeconds` until `signal` aborts (nothing when it already has). */
export function startHeartbeats(bus: Bus, agentId: string, intervalSeconds: number, runningTaskIds: () => string[], logger: Logger, signal: AbortSignal): void {
  // A registration answered just as the agent stopped: an interval started now would never be cleared.
  if (signal.aborted) return;
  const beat = () => {
    try {
      publishCore(bus, "agent.heartbeat", agentV1.AgentHeartbeatSchema, create(agentV1.AgentHeartbeatSchema, { agentId, runningTaskIds: runningTaskIds() }));
    } catch (err) {
      logger.warn({ err }, "heartbeat not sent");
    }
  };
  beat();
  const timer = setInterval(beat, intervalSeconds * 1000);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
