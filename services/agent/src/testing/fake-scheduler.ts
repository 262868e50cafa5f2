/**
 * A fake scheduler for the agent's integration tests, over real NATS: it answers registrations,
 * records heartbeats, reads the durable status stream and sends command batches, so a test can
 * drive real or simulated agents and assert on what they report. Test support only (never run
 * by the test runner itself: not a `*.test.ts` file).
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { AGENT_STATUS_STREAM, agentV1, registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import { deleteClusterStreams, ensureStream, protobufDecoder, publishCore, runDurableConsumer, subscribeCore, type Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
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

/** A container of `runSpecOf`; each field left out takes the default named there. */
export interface ContainerInit {
  /** Default: the run spec id's last segment (an app's container is named so). */
  name?: string;
  /** A command line, run by `/bin/sh -c`. */
  shell?: string;
  /** An argument vector, run without a shell (used when `shell` is absent). */
  argv?: string[];
  /** Literal values, or `{ secret: name }` references to the run spec's secrets. */
  env?: Record<string, string | { secret: string }>;
  /** Default 0.5 cpus, 64 MiB, no GPUs. */
  cpus?: number;
  mem?: number;
  gpus?: number;
  /** Endpoints in order: `hostPort` 0 = any host port, absent = none; `servicePort` default 0. */
  endpoints?: { name?: string; hostPort?: number; servicePort?: number; containerPort?: number }[];
  /** Kill grace period in seconds (default 1). */
  grace?: number;
  /** Health checks as the registry writes them (default none). */
  healthChecks?: MessageInitShape<typeof registryV1RunSpec.HealthCheckSpecSchema>[];
  /** Volumes of the run spec mounted into the container (default none). */
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  /** Artifacts fetched into the sandbox (Marathon's `fetch`; default none). */
  artifacts?: MessageInitShape<typeof registryV1RunSpec.ArtifactSpecSchema>[];
}

/** What `runSpecOf` builds a run spec from; each field left out takes the default named there. */
export interface RunSpecInit {
  /** Default `/test/app`. */
  id?: string;
  /** Default: "app" for one container, "pod" for several. */
  kind?: "app" | "pod";
  /** Default: one container with no command (an agent refuses it; give `shell` or `argv`). */
  containers?: ContainerInit[];
  labels?: Record<string, string>;
  networks?: MessageInitShape<typeof registryV1RunSpec.NetworkSpecSchema>[];
  volumes?: MessageInitShape<typeof registryV1RunSpec.VolumeSpecSchema>[];
  /** Secret name → source. */
  secrets?: Record<string, string>;
}

/** A run spec as the registry would hand it to the scheduler (version `2026-01-01T00:00:00.000Z`, host network unless `networks` says otherwise). */
export function runSpecOf(init: RunSpecInit): registryV1RunSpec.RunSpec {
  const id = init.id ?? "/test/app";
  const containers = init.containers ?? [{}];
  const kind = init.kind ?? (containers.length > 1 ? "pod" : "app");
  return create(registryV1RunSpec.RunSpecSchema, {
    id,
    kind: kind === "pod" ? registryV1RunSpec.RunSpecKind.POD : registryV1RunSpec.RunSpecKind.APP,
    version: "2026-01-01T00:00:00.000Z",
    configVersion: "2026-01-01T00:00:00.000Z",
    instances: 1,
    labels: init.labels ?? {},
    networks: init.networks ?? [],
    volumes: init.volumes ?? [],
    secrets: init.secrets ?? {},
    containers: containers.map((c) => ({
      name: c.name ?? id.split("/").at(-1),
      command: c.shell !== undefined ? { kind: { case: "shell" as const, value: c.shell } } : c.argv !== undefined ? { kind: { case: "argv" as const, value: { args: c.argv } } } : undefined,
      env: Object.fromEntries(
        Object.entries(c.env ?? {}).map(([k, v]) => [k, typeof v === "string" ? { kind: { case: "value" as const, value: v } } : { kind: { case: "secret" as const, value: v.secret } }]),
      ),
      resources: { cpus: c.cpus ?? 0.5, mem: c.mem ?? 64, disk: 0, gpus: c.gpus ?? 0 },
      endpoints: (c.endpoints ?? []).map((e) => ({ name: e.name ?? "", hostPort: e.hostPort, servicePort: e.servicePort ?? 0, containerPort: e.containerPort ?? 0, protocols: ["tcp"] })),
      killGracePeriodSeconds: c.grace ?? 1,
      healthChecks: c.healthChecks ?? [],
      volumeMounts: (c.volumeMounts ?? []).map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? false })),
      artifacts: c.artifacts ?? [],
    })),
  });
}

/** The scheduler's assignment in `launchInstanceCommand`; each field left out takes the default named there. */
export interface AssignmentInit {
  /** Default: `<instanceId>.<container name>` per container. */
  taskIds?: string[];
  /** Host ports by endpoint index (of the first container unless `container` says). Default none. */
  ports?: { endpointIndex: number; hostPort: number; container?: string }[];
  /** GPU indices. Default none. */
  gpus?: number[];
  /** The agent's hostname as the scheduler knows it. Default "" (the agent uses its own). */
  host?: string;
}

/**
 * A LaunchInstance command for `instanceId` running `runSpec` with `assignment` (endpoint
 * names and container ports of the assigned ports are taken from the run spec).
 */
export function launchInstanceCommand(instanceId: string, runSpec: registryV1RunSpec.RunSpec, assignment: AssignmentInit = {}): agentV1.AgentCommand {
  const first = runSpec.containers[0]?.name ?? "";
  return create(agentV1.AgentCommandSchema, {
    command: {
      case: "launchInstance",
      value: create(agentV1.LaunchInstanceSchema, {
        instanceId,
        runSpec,
        taskIds: assignment.taskIds ?? runSpec.containers.map((c) => `${instanceId}.${c.name}`),
        ports: (assignment.ports ?? []).map(({ endpointIndex, hostPort, container = first }) => {
          const endpoint = runSpec.containers.find((c) => c.name === container)?.endpoints[endpointIndex];
          return { container, endpoint: endpoint?.name ?? "", endpointIndex, hostPort, containerPort: endpoint?.containerPort ?? 0 };
        }),
        gpus: (assignment.gpus ?? []).map((index) => ({ index })),
        host: assignment.host ?? "",
      }),
    },
  });
}

/** Test cleanup: stops the fake scheduler, deletes the cluster's streams and closes the bus (each when it was made). */
export async function closeFakeCluster(scheduler: FakeScheduler | undefined, bus: Bus | undefined): Promise<void> {
  await scheduler?.stop();
  if (bus) {
    await deleteClusterStreams(bus);
    await bus.close();
  }
}
