import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import type { Bus } from "@gantry/platform/bus";
import { GantryError } from "@gantry/platform/errors";
import type { Logger } from "@gantry/platform/logging";
import { SchedulerEpoch } from "../domain/index.ts";
import { admitCommandBatch } from "../app/epoch-gate.ts";
import {
  DEFAULT_HEARTBEAT_SECONDS,
  ensureStatusStream,
  registerAgent,
  startHeartbeats,
  subscribeAllCommands,
} from "../adapters/agent-link.nats.ts";
import { natsStatusSink, type NatsStatusSink } from "../adapters/status-sink.nats.ts";
import { simulatedAgentIds, type SimulatedAgentOptions } from "./simulated-agent-options.ts";
import { SimulatedNode } from "./simulated-node.ts";
import { CoarseTimers } from "./coarse-timers.ts";
import { NODE_LOG_FIELD } from "@gantry/logs/shipping";

/** Simulated agents started in this process. */
export interface SimulatedAgents {
  /** Their ids, `<idPrefix>-0` … `<idPrefix>-<count-1>`. */
  readonly agents: string[];
  /** Resolves once a scheduler answered every agent's registration (or `stop` was called first). */
  readonly registered: Promise<void>;
  /** Ids of the tasks agent `agentId` runs now (starting or running). Throws NotFound for an id not simulated here. */
  running(agentId: string): string[];
  /**
   * Stops every agent: no more registration tries, heartbeats or commands; scripted task steps
   * are cancelled (tasks vanish as on a dead machine, nothing more is reported for them);
   * waits up to 10 s for reports already made to be acknowledged. Never closes the bus.
   */
  stop(): Promise<void>;
}

/** How long `stop` waits for unacknowledged status updates. */
const STOP_DRAIN_MS = 10_000;

interface SimulatedAgent {
  node: SimulatedNode;
  epoch: SchedulerEpoch;
  status: NatsStatusSink;
  logger: Logger;
}

/**
 * Starts `options.count` simulated agents on `bus`, speaking the real agent's protocol with
 * its own NATS adapter: each registers on `agent.register` (retried until a scheduler answers),
 * heartbeats its running task ids at the interval the answer asks for (or the option's), and
 * reports task status on `agent.status.<id>` (JetStream, msg id = update id, in order per
 * agent, retried until acknowledged). Commands for all of them arrive on ONE subscription
 * (`agent.*.commands`) and are routed by agent id; each agent applies the scheduler epoch rule
 * in memory (a batch older than the newest epoch it saw is dropped with a warning). Tasks are
 * scripted (`SimulatedNode`), never processes. Rejects when NATS/JetStream is unusable.
 */
/** The window scripted steps of all agents are gathered in (see CoarseTimers). */
const SCRIPTED_STEP_WINDOW_MS = 10;

export async function startSimulatedAgents(options: SimulatedAgentOptions, deps: { bus: Bus; logger: Logger }): Promise<SimulatedAgents> {
  const { bus } = deps;
  const life = new AbortController();
  const statusAbort = new AbortController();
  const ids = simulatedAgentIds(options);
  const agents = new Map<string, SimulatedAgent>();
  // Scripted steps of every agent due within the same 10 ms run together: their reports leave in
  // one write. Many agents share this process and its one NATS connection, and a loopback write
  // costs far more than the simulated work (~0.3 ms each on a busy 2-core machine): with a 2 ms
  // window a stream of launches made a write every 2 ms; real agents each write on their own
  // machine. A scripted step (a task reaching RUNNING) may come up to 10 ms late.
  const timers = new CoarseTimers(SCRIPTED_STEP_WINDOW_MS);

  await ensureStatusStream(bus);
  for (const agentId of ids) {
    const logger = deps.logger.child({ [NODE_LOG_FIELD]: agentId });
    const status = natsStatusSink(bus, agentId, logger, statusAbort.signal);
    const node = new SimulatedNode(agentId, options, {
      report: (u) => void status.report(u).catch((err) => logger.debug({ err, task: u.taskId }, "status not reported")),
      schedule: (ms, fn) => timers.schedule(ms, fn),
      now: () => new Date(),
      newId: () => randomUUID(),
      logger,
    });
    agents.set(agentId, { node, epoch: new SchedulerEpoch(), status, logger });
  }

  await subscribeAllCommands(bus, deps.logger, life.signal, async (agentId, batch) => {
    const agent = agents.get(agentId);
    if (!agent || !admitCommandBatch(agent.epoch, batch, agent.logger)) return;
    for (const command of batch.commands) agent.node.handle(command);
  });

  const registrations = ids.map((agentId, n) => {
    const agent = agents.get(agentId)!;
    const registration = create(agentV1.AgentRegistrationSchema, {
      agentId,
      hostname: agentId,
      resources: create(schedulerV1Model.ResourcesSchema, options.resources),
      ports: options.ports.map((p) => create(agentV1.PortRangeSchema, p)),
      gpus: Array.from({ length: options.resources.gpus }, (_, index) => create(agentV1.GpuDeviceSchema, { index, uuid: `GPU-sim-${agentId}-${index}`, model: "Simulated GPU" })),
      attributes: options.attributesOf(n),
      roles: options.roles,
      // Said plainly, so an operator never mistakes these agents for real ones.
      capabilities: ["simulated"],
      runningTaskIds: [],
    });
    // Until a scheduler answers, every agent retries: agent 0 says so, the others would only repeat it.
    const retryLogger = n === 0 ? agent.logger : agent.logger.child({}, { level: "error" });
    return registerAgent(bus, registration, retryLogger, life.signal).then((answer) => {
      if (!answer) return;
      agent.epoch.observeRegistration(answer.logId, answer.epoch);
      const interval = options.heartbeatIntervalSeconds ?? (answer.heartbeatIntervalSeconds || DEFAULT_HEARTBEAT_SECONDS);
      agent.logger.debug({ heartbeatSeconds: interval, epoch: String(answer.epoch) }, "simulated agent registered");
      startHeartbeats(bus, agentId, interval, () => agent.node.runningTaskIds(), agent.logger, life.signal);
    });
  });
  const registered = Promise.all(registrations).then(() => {
    if (!life.signal.aborted) deps.logger.info({ count: ids.length }, "every simulated agent registered");
  });

  let stopping: Promise<void> | undefined;
  return {
    agents: ids,
    registered,
    running(agentId) {
      const agent = agents.get(agentId);
      if (!agent) throw new GantryError("NotFound", `agent "${agentId}" is not simulated here (ids are ${options.idPrefix}-0 … ${options.idPrefix}-${ids.length - 1})`);
      return agent.node.runningTaskIds();
    },
    stop() {
      stopping ??= (async () => {
        life.abort();
        for (const agent of agents.values()) agent.node.stop();
        timers.clear();
        const drained = await Promise.all([...agents.values()].map((a) => a.status.drain(STOP_DRAIN_MS)));
        statusAbort.abort();
        const undelivered = drained.filter((d) => !d).length;
        if (undelivered > 0) deps.logger.warn({ agents: undelivered }, "simulated agents stopped with status updates unacknowledged");
        deps.logger.info({ count: ids.length }, "simulated agents stopped");
      })();
      return stopping;
    },
  };
}
