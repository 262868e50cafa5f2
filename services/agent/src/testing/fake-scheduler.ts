/**
 * A fake scheduler for the agent's integration tests, over real NATS: it answers registrations,
 * records heartbeats, reads the durable status stream and sends command batches, so a test can
 * drive real or simulated agents and assert on what they report. Test support only (never run
 * by the test runner itself: not a `*.test.ts` file).
 */
import { create } from "@bufbuild/protobuf";
import { AGENT_STATUS_STREAM, agentV1, schedulerV1Model } from "@gantry/proto";
import { ensureStream, protobufDecoder, publishCore, runDurableConsumer, subscribeCore, type Bus, type Logger } from "@gantry/platform";
import { eventually } from "@gantry/platform/testing";

const { TaskState } = schedulerV1Model;

/** How a fake scheduler answers and listens; everything but `logger` has a default. */
export interface FakeSchedulerOptions {
  logger: Logger;
  /**
   * The epoch answered to a registration of `agentId` (default: 0 for every agent). Asked at each
   * registration, so a test can change it between one agent's restarts.
   */
  epochFor?: (agentId: string) => bigint;
  /** The event log id answered to a registration of `agentId` (default: "" for every agent), asked like `epochFor`. */
  logIdFor?: (agentId: string) => string;
  /** The heartbeat interval answered to every registration (default 1 s). */
  heartbeatIntervalSeconds?: number;
  /** Name of the durable consumer on the status stream (default `test_status`); one per test file and cluster. */
  durable?: string;
  /** Which status subjects the consumer reads (default `agent.status.>`, every agent's). */
  statusSubject?: string;
  /** How often `waitForState` looks at the updates (default every 50 ms). */
  pollIntervalMs?: number;
}

/** A heartbeat as the fake scheduler received it, with its arrival time (`Date.now()`). */
export interface ReceivedHeartbeat {
  at: number;
  hb: agentV1.AgentHeartbeat;
}

/**
 * A running fake scheduler. Its lists only grow, in arrival order, and are the live ones (read
 * them any time; a test may take `length` as a mark and `slice` from it later).
 */
export interface FakeScheduler {
  /** Every registration received, answered or not. */
  readonly registrations: readonly agentV1.AgentRegistration[];
  readonly heartbeats: readonly ReceivedHeartbeat[];
  /** Every status update read from the stream (at least once each: the consumer is durable). */
  readonly updates: readonly agentV1.TaskStatusUpdate[];
  /** Publishes one `AgentCommands` batch of `epoch` to `agentId` on core NATS (fire and forget: nothing confirms delivery). */
  send(agentId: string, epoch: bigint, ...commands: agentV1.AgentCommand[]): void;
  /** Like `send`, naming the event log the epoch counts in. */
  sendFromLog(agentId: string, logId: string, epoch: bigint, ...commands: agentV1.AgentCommand[]): void;
  /** The states reported for `taskId` so far, in order. */
  statesOf(taskId: string): schedulerV1Model.TaskState[];
  /**
   * Waits until an update of `taskId` in `state` has arrived and returns the first such one.
   * Rejects after `timeoutMs` (default 15 s) naming the states seen for the task.
   */
  waitForState(taskId: string, state: schedulerV1Model.TaskState, timeoutMs?: number): Promise<agentV1.TaskStatusUpdate>;
  /** Stops answering, recording and consuming, and waits for the consumer to end. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/**
 * Starts a fake scheduler on `bus`: answers `agent.register`, records `agent.heartbeat` and
 * consumes the status stream (created when missing) with a durable consumer. Resolves once the
 * subscriptions are made; rejects when the stream cannot be declared. The caller owns the bus
 * and the cluster's streams (delete them after `stop`).
 */
export async function startFakeScheduler(bus: Bus, options: FakeSchedulerOptions): Promise<FakeScheduler> {
  const { logger } = options;
  const epochFor = options.epochFor ?? (() => 0n);
  const logIdFor = options.logIdFor ?? (() => "");
  const heartbeatIntervalSeconds = options.heartbeatIntervalSeconds ?? 1;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const stopping = new AbortController();
  const registrations: agentV1.AgentRegistration[] = [];
  const heartbeats: ReceivedHeartbeat[] = [];
  const updates: agentV1.TaskStatusUpdate[] = [];

  await subscribeCore(bus, {
    subject: "agent.register",
    schema: agentV1.AgentRegistrationSchema,
    replySchema: agentV1.AgentRegisteredSchema,
    logger,
    signal: stopping.signal,
    handler: async (reg) => {
      registrations.push(reg);
      return create(agentV1.AgentRegisteredSchema, { agentId: reg.agentId, heartbeatIntervalSeconds, epoch: epochFor(reg.agentId), logId: logIdFor(reg.agentId) });
    },
  });
  await subscribeCore(bus, {
    subject: "agent.heartbeat",
    schema: agentV1.AgentHeartbeatSchema,
    logger,
    signal: stopping.signal,
    handler: async (hb) => void heartbeats.push({ at: Date.now(), hb }),
  });
  const consumer = runDurableConsumer(bus, {
    stream: await ensureStream(bus, AGENT_STATUS_STREAM),
    durable: options.durable ?? "test_status",
    filterSubject: options.statusSubject ?? "agent.status.>",
    decode: protobufDecoder(agentV1.TaskStatusUpdateSchema),
    handler: async (u: agentV1.TaskStatusUpdate) => void updates.push(u),
    logger,
    signal: stopping.signal,
  });

  const statesOf = (taskId: string) => updates.filter((u) => u.taskId === taskId).map((u) => u.state);
  return {
    registrations,
    heartbeats,
    updates,
    send(agentId, epoch, ...commands) {
      publishCore(bus, `agent.${agentId}.commands`, agentV1.AgentCommandsSchema, create(agentV1.AgentCommandsSchema, { commands, epoch }));
    },
    sendFromLog(agentId, logId, epoch, ...commands) {
      publishCore(bus, `agent.${agentId}.commands`, agentV1.AgentCommandsSchema, create(agentV1.AgentCommandsSchema, { commands, epoch, logId }));
    },
    statesOf,
    waitForState: (taskId, state, timeoutMs = 15_000) =>
      eventually(
        () => `${taskId} ${TaskState[state]} (saw ${statesOf(taskId).map((s) => TaskState[s]).join(",")})`,
        () => updates.find((u) => u.taskId === taskId && u.state === state),
        timeoutMs,
        pollIntervalMs,
      ),
    async stop() {
      stopping.abort();
      await consumer.catch(() => {});
    },
  };
}

/** What `launchCommand` sets in a LaunchTask beyond its ids; each field left out takes the default named there. */
export interface LaunchInit {
  appId?: string;
  cmd?: string;
  args?: string[];
  env?: Record<string, string>;
  cpus?: number;
  mem?: number;
  /** Kill grace period in seconds. */
  grace?: number;
}

/**
 * A launch command for `taskId`: instance `inst-<taskId>`, app `/test/app` at version
 * `2026-01-01T00:00:00.000Z`, 0.5 cpus, 64 MiB, no disk, 1 s kill grace, unless `init` says
 * otherwise. With neither `cmd` nor `args` in `init` it carries none (an agent answers TASK_ERROR).
 */
export function launchCommand(taskId: string, init: LaunchInit): agentV1.AgentCommand {
  return create(agentV1.AgentCommandSchema, {
    command: {
      case: "launch",
      value: create(agentV1.LaunchTaskSchema, {
        taskId,
        instanceId: `inst-${taskId}`,
        appId: init.appId ?? "/test/app",
        appVersion: "2026-01-01T00:00:00.000Z",
        cmd: init.cmd ?? "",
        args: init.args ?? [],
        env: init.env ?? {},
        resources: create(schedulerV1Model.ResourcesSchema, { cpus: init.cpus ?? 0.5, mem: init.mem ?? 64, disk: 0 }),
        killGracePeriodSeconds: init.grace ?? 1,
      }),
    },
  });
}

/** A kill command for `taskId` with a 1 s grace period (an agent answers KILLED for a task it does not run). */
export function killCommand(taskId: string): agentV1.AgentCommand {
  return create(agentV1.AgentCommandSchema, { command: { case: "kill", value: create(agentV1.KillTaskSchema, { taskId, killGracePeriodSeconds: 1 }) } });
}
