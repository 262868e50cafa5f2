import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import type { Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
import { openSecret } from "@gantry/platform/secrets";
import { SchedulerEpoch, type AgentOptions } from "./domain/index.ts";
import { TaskSupervisor } from "./app/task-supervisor.ts";
import { admitCommandBatch } from "./app/epoch-gate.ts";
import { fsSchedulerEpochFile } from "./adapters/scheduler-epoch.fs.ts";
import { cgroupIsolator, processIsolator } from "./adapters/cgroup-isolator.os.ts";
import { fsSandboxStore } from "./adapters/sandbox-store.fs.ts";
import { osHealthProber } from "./adapters/health-prober.os.ts";
import { fsInstanceStore } from "./adapters/instance-store.fs.ts";
import { osUserDirectory } from "./adapters/users.os.ts";
import { osArtifactFetcher } from "./adapters/artifact-fetcher.os.ts";
import { cniPodNetworks } from "./adapters/pod-network.cni.ts";
import { osProcessRuntime } from "./adapters/process-runtime.os.ts";
import {
  DEFAULT_HEARTBEAT_SECONDS,
  ensureStatusStream,
  registerAgent,
  startHeartbeats,
  subscribeCommands,
} from "./adapters/agent-link.nats.ts";
import { natsStatusSink } from "./adapters/status-sink.nats.ts";
import { startLogShipping } from "./log-shipping.ts";
import { agentMetrics } from "./metrics-wiring.ts";
import type { KeyObject } from "node:crypto";
import type { TlsMaterial } from "@gantry/platform/tls";
import { startExecEndpoint } from "./agent-endpoint-wiring.ts";
import { NODE_LOG_FIELD } from "@gantry/logs/shipping";

/** A started agent. */
export interface RunningAgent {
  readonly agentId: string;
  /** Resolves with the scheduler's answer once registered; undefined when stopped before it answered. */
  readonly registered: Promise<agentV1.AgentRegistered | undefined>;
  /** Ids of the tasks the agent runs now. */
  runningTaskIds(): string[];
  /** The highest scheduler epoch seen (persisted in the work directory); batches of older epochs are refused. */
  schedulerEpoch(): bigint;
  /**
   * Stops the agent. `killTasks: true` kills every task and reports it (what `gantry up`'s
   * Ctrl-C does); `false` leaves tasks running with their checkpoints, so an agent started
   * later on the same work directory re-attaches (agent restart). Never closes the bus.
   */
  stop(options: { killTasks: boolean }): Promise<void>;
}

/** How long `stop` waits for unacknowledged statuses beyond the tasks' kill grace. */
const STOP_DRAIN_MS = 10_000;

/**
 * Starts an agent on `bus`: ensures the status stream, re-attaches to tasks a previous agent
 * left (reporting those that ended meanwhile), subscribes to its commands, then registers with
 * the scheduler in the background (retrying until it answers, with the re-attached task ids)
 * and heartbeats at the interval the scheduler asked for.
 *
 * Scheduler epochs: the highest epoch seen (registration answer or accepted batch) is kept in
 * `<workDir>/scheduler-epoch` and loaded here, so even a restarted agent drops every batch
 * of an older epoch (a deposed leader) with one warning, running none of its commands.
 * Rejects when NATS/JetStream is unusable or the epoch file is unreadable.
 */
export async function startAgent(options: AgentOptions, deps: { bus: Bus; logger: Logger; secretsKey?: Uint8Array; execTicketKey?: KeyObject; tls?: TlsMaterial }): Promise<RunningAgent> {
  const { bus } = deps;
  const logger = deps.logger.child({ [NODE_LOG_FIELD]: options.agentId });
  const life = new AbortController();
  const statusAbort = new AbortController();

  if (options.isolation.kind === "cgroups") {
    const c = options.isolation.cgroups;
    logger.info({ capabilities: options.capabilities, cgroups: c }, `isolation: cgroups v${c.version} (cpu shares+quota, memory limit) per task`);
  } else {
    logger.warn({ capabilities: options.capabilities, reason: options.isolation.reason }, `isolation: none, tasks run as plain processes (${options.isolation.reason})`);
  }

  const epochFile = fsSchedulerEpochFile(options.workDir);
  const epoch = new SchedulerEpoch(epochFile.load());
  if (epoch.highest > 0n) logger.info({ epoch: String(epoch.highest) }, "scheduler epoch loaded: command batches of older epochs are refused");
  const persistEpoch = () => {
    try {
      epochFile.save(epoch.snapshot());
    } catch (err) {
      // Still enforced in memory; only a restart before the next successful save would forget it.
      logger.error({ err, epoch: String(epoch.highest), file: epochFile.path }, "scheduler epoch not persisted");
    }
  };

  await ensureStatusStream(bus);
  const statusSink = natsStatusSink(bus, options.agentId, logger, statusAbort.signal);
  // Every status a task reports also tells the log shipper to look (a task that just started has
  // its output followed from its first line, not from the next periodic rescan).
  let taskChanged = (_taskId: string) => {};
  const status: typeof statusSink = {
    report(update) {
      taskChanged(update.taskId);
      return statusSink.report(update);
    },
    drain: (timeoutMs) => statusSink.drain(timeoutMs),
  };
  const metrics = agentMetrics({ agentId: options.agentId, hostname: options.hostname, gpuCount: options.gpus.length }, { bus, logger });
  const supervisor = new TaskSupervisor(options, {
    statsd: metrics.statsd,
    sandboxes: fsSandboxStore(options.workDir),
    processes: osProcessRuntime(),
    isolator: options.isolation.kind === "cgroups" ? cgroupIsolator(options.isolation.cgroups, options.agentId, logger) : processIsolator(),
    status,
    health: osHealthProber(),
    instances: fsInstanceStore(options.workDir),
    users: osUserDirectory(),
    artifacts: osArtifactFetcher({ cacheDir: join(options.workDir, "fetch-cache"), logger }),
    networks: options.networks.kind === "cni" ? cniPodNetworks({ agentId: options.agentId, ...options.networks, logger }) : undefined,
    openSecret: deps.secretsKey ? (source, sealed) => openSecret(deps.secretsKey!, source, sealed) : undefined,
    logger,
    now: () => new Date(),
    newId: () => randomUUID(),
  });
  await supervisor.recover();
  // Task output (sandbox stdout/stderr) to the LOGS stream, resuming from each task's shipped offsets.
  const logShipping = await startLogShipping({ workDir: options.workDir, agentId: options.agentId, hostname: options.hostname, bus, logger });
  taskChanged = (taskId) => logShipping.shipper.taskChanged(taskId);
  await metrics.start(() => supervisor.metricTargets());
  // The gRPC endpoint (exec) is up before the registration advertises it.
  const endpoint = await startExecEndpoint(options, { logger, isRunning: (taskId) => supervisor.runningTaskIds().includes(taskId), ...(deps.execTicketKey ? { ticketKey: deps.execTicketKey } : {}), ...(deps.tls ? { tls: deps.tls } : {}) });

  await subscribeCommands(bus, options.agentId, logger, life.signal, async (batch) => {
    if (!admitCommandBatch(epoch, batch, logger, persistEpoch)) return;
    for (const command of batch.commands) {
      try {
        await supervisor.handle(command);
      } catch (err) {
        logger.error({ err, command: command.command.case }, "command failed");
      }
    }
  });

  const registration = create(agentV1.AgentRegistrationSchema, {
    agentId: options.agentId,
    hostname: options.hostname,
    resources: create(schedulerV1Model.ResourcesSchema, { ...options.resources, gpus: options.gpus.length }),
    ports: options.ports.map((p) => create(agentV1.PortRangeSchema, p)),
    gpus: options.gpus.map(({ index, uuid, model }) => create(agentV1.GpuDeviceSchema, { index, uuid, model })),
    attributes: options.attributes,
    roles: options.roles,
    capabilities: options.capabilities,
    runningTaskIds: supervisor.runningTaskIds(),
    grpcEndpoint: endpoint?.endpoint ?? "",
  });
  const registered = registerAgent(bus, registration, logger, life.signal).then((answer) => {
    if (!answer) return undefined;
    if (epoch.observeRegistration(answer.logId, answer.epoch)) persistEpoch();
    else if (answer.epoch < epoch.highest) {
      logger.warn({ answerEpoch: String(answer.epoch), highestEpoch: String(epoch.highest) }, `registration answered by scheduler epoch ${answer.epoch}, older than epoch ${epoch.highest} seen: its commands will be refused`);
    }
    const interval = answer.heartbeatIntervalSeconds || DEFAULT_HEARTBEAT_SECONDS;
    logger.info({ heartbeatSeconds: interval, running: registration.runningTaskIds.length, epoch: String(answer.epoch) }, "registered with the scheduler");
    startHeartbeats(bus, options.agentId, interval, () => supervisor.runningTaskIds(), logger, life.signal);
    return answer;
  });

  let stopping: Promise<void> | undefined;
  return {
    agentId: options.agentId,
    registered,
    runningTaskIds: () => supervisor.runningTaskIds(),
    schedulerEpoch: () => epoch.highest,
    stop({ killTasks }) {
      stopping ??= (async () => {
        life.abort();
        metrics.stop();
        await endpoint?.stop();
        // Reports still unacknowledged after this are re-published from the checkpoints on the next start.
        const giveUp = setTimeout(() => statusAbort.abort(), STOP_DRAIN_MS + (killTasks ? 60_000 : 0));
        await supervisor.stop({ killTasks });
        if (!(await logShipping.shipper.flush(5_000))) logger.warn("stopped with task output not yet shipped; shipped on the next start");
        await logShipping.stop();
        const drained = await status.drain(STOP_DRAIN_MS);
        if (!drained) logger.warn("stopped with status updates unacknowledged");
        clearTimeout(giveUp);
        statusAbort.abort();
        logger.info({ killTasks }, "agent stopped");
      })();
      return stopping;
    },
  };
}
