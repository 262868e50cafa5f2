import { agentV1, schedulerV1Model } from "@gantry/proto";
import {
  buildTaskEnvironment,
  classifyTaskEnd,
  decideInstanceLaunch,
  gpuDeviceDenials,
  killGraceMs,
  launchProblem,
  pickGpus,
  taskLaunchFromLaunchTask,
  type AgentOptions,
  type TaskCheckpoint,
  type TaskLaunch,
  TaskReason,
} from "../domain/index.ts";
import type { HealthMonitor } from "./health-monitor.ts";
import type { ReadinessMonitor } from "./readiness-monitor.ts";
import { StatusReporter, type FinalReport } from "./status-reporter.ts";
import { TaskChecks } from "./task-checks.ts";
import { InstanceRuntime, type PreparedInstance } from "./instance-runtime.ts";
import { collectSandboxes } from "./sandbox-gc.ts";
import { TaskCommands } from "./task-command.ts";
import type { SandboxPaths, StartedProcess, SupervisorPorts, TaskIsolation } from "./ports.ts";
import type { MetricTarget } from "./metrics-points.ts";
import { prometheusScrapeOf } from "./metrics-scrape.ts";

const { TaskState } = schedulerV1Model;

/** How often sandboxes of tasks that ended long ago are looked for (also once at start). */
const GC_INTERVAL_MS = 3_600_000;

/** How often the agent looks for a task's process group to empty after its wrapper ended. */
const GROUP_POLL_MS = 100;


/** A task the agent is running (or starting). */
interface ActiveTask {
  taskId: string;
  instanceId: string;
  appId: string;
  appVersion: string;
  paths: SandboxPaths;
  gpuIndices: number[];
  killGraceMs: number;
  killRequestedAt?: string;
  /** Why the agent killed the task itself (failed health checks); undefined for a requested kill. */
  killReason?: string;
  escalation?: NodeJS.Timeout;
  /** Runs the task's health checks while it runs (none without checks). */
  health?: HealthMonitor;
  readiness?: ReadinessMonitor;
  /** Aborts the fetch of the task's artifacts (set only while it runs). */
  fetching?: AbortController;
  checkpoint?: TaskCheckpoint;
  isolation?: TaskIsolation;
  /** Settles when the task ended and its final status was handed to the sink (or the agent stopped). */
  done: Promise<void>;
  /** Dimensions its metrics carry beyond the checkpoint's ids (unknown for a task re-attached after a restart). */
  metricDims?: { containerName: string; labels: Record<string, string>; scrape?: { port: number; path: string } };
}

/**
 * Runs the tasks of one agent: acts on launch (LaunchTask, LaunchInstance) and kill commands,
 * supervises each task until it ends, reports every state change (STAGING → RUNNING →
 * [KILLING →] FINISHED | FAILED | KILLED, or ERROR for a launch that cannot run), checkpoints
 * each task, and re-attaches to the tasks a previous agent process left running (`recover`).
 *
 * A LaunchInstance runs each container of its run spec (an app's one, a pod's several) as a task
 * with the scheduler's assignment (host ports, GPU devices) applied, sharing what the instance
 * shares (`InstanceRuntime`: its network namespace, its volumes); one this agent cannot run (see
 * `decideInstanceLaunch`) reports each of its tasks ERROR once, and is remembered as ended like
 * any task. Each task's command runs as `TaskCommands` says (its user, its namespace), after its
 * artifacts were fetched; its health and readiness checks run while it runs (`TaskChecks`);
 * every report goes through the `StatusReporter`.
 *
 * Invariants: one process per task id (a second launch of a running or ended id starts nothing);
 * a task's final state is written to its checkpoint before it is published, and marked reported
 * once the stream acknowledged it, so a final state is never lost across agent restarts.
 */
export class TaskSupervisor {
  private readonly tasks = new Map<string, ActiveTask>();
  /** Final reports of tasks that ended (this run or, from checkpoints, earlier), by task id. */
  private readonly ended = new Map<string, FinalReport>();
  private readonly abort = new AbortController();
  private stopped = false;
  private stopping = false;
  private readonly options: AgentOptions;
  private readonly ports: SupervisorPorts;
  private readonly instances: InstanceRuntime;
  private readonly commands: TaskCommands;
  private readonly reporter: StatusReporter;
  private readonly checks: TaskChecks;
  /** Instances whose tasks are being started: their shared network stays, whatever ends meanwhile. */
  private readonly launching = new Set<string>();
  private gcTimer: NodeJS.Timeout | undefined;
  /** Every task's supervision (or background start) until it settles. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: AgentOptions, ports: SupervisorPorts) {
    this.options = options;
    this.ports = ports;
    this.commands = new TaskCommands(ports.users, options.isRoot);
    this.reporter = new StatusReporter(options.agentId, ports);
    // A check failing too often kills its task, with the failure as the reason (not while stopping).
    this.checks = new TaskChecks(ports, this.reporter, (task, reason) => {
      const active = this.tasks.get(task.taskId);
      if (active && active.killRequestedAt === undefined && !this.stopping) this.requestKill(active, active.killGraceMs, reason, reason);
    });
    this.instances = new InstanceRuntime({ store: ports.instances, networks: ports.networks, agentId: options.agentId, logger: ports.logger, now: ports.now });
  }

  /** Keeps `work` in `inFlight` until it settles; returns it. */
  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    const forget = () => void this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Ids of the tasks this agent runs now (starting, running or being killed). */
  runningTaskIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** The running tasks with a process, and where their usage is read, for the metrics collector. */
  metricTargets(): MetricTarget[] {
    const out: MetricTarget[] = [];
    for (const t of this.tasks.values()) {
      const c = t.checkpoint;
      if (!c || c.pgid <= 0 || c.final) continue;
      out.push({ taskId: t.taskId, instanceId: t.instanceId, appId: t.appId, containerName: t.metricDims?.containerName ?? "", labels: t.metricDims?.labels ?? {}, cgroupDirs: c.cgroupDirs, pgid: c.pgid, ...(t.metricDims?.scrape ? { scrape: t.metricDims.scrape } : {}) });
    }
    return out;
  }

  /**
   * Reads every checkpoint under the work directory: re-attaches to live processes (same pid
   * and start time), reports tasks that ended while the agent was down, and re-publishes final
   * states that were never acknowledged. A checkpoint written before its process was started is
   * completed from the pid its wrapper wrote, or, when none did, the task never ran and is
   * reported FAILED. Then sweeps: every cgroup and launch wrapper of this agent that no live
   * checkpoint names is killed and removed. Call once, before taking commands.
   */
  async recover(): Promise<void> {
    const foreign = new Set<string>();
    for (const { taskId, checkpoint: cp } of this.ports.sandboxes.list()) {
      const log = this.ports.logger.child({ task: taskId });
      if (!cp) {
        log.debug("sandbox without a readable checkpoint skipped");
        continue;
      }
      if (cp.agentId !== this.options.agentId) {
        log.warn({ checkpointAgent: cp.agentId }, "checkpoint of another agent id in this work directory skipped");
        foreign.add(taskId);
        continue;
      }
      if (cp.final) {
        this.ended.set(taskId, cp.final);
        if (!cp.finalReported) void this.publishFinal(cp, cp.final);
        continue;
      }
      if (cp.starting && !this.completeStartingCheckpoint(cp)) continue;
      const task: ActiveTask = {
        taskId,
        instanceId: cp.instanceId,
        appId: cp.appId,
        appVersion: cp.appVersion,
        paths: this.ports.sandboxes.paths(taskId),
        gpuIndices: cp.gpuIndices,
        killGraceMs: cp.killGraceMs,
        checkpoint: cp,
        isolation: this.ports.isolator.reattach(cp.cgroupDirs),
        done: Promise.resolve(),
      };
      if (cp.killRequestedAt !== undefined) task.killRequestedAt = cp.killRequestedAt;
      if (cp.killReason !== undefined) task.killReason = cp.killReason;
      this.tasks.set(taskId, task);
      if (this.ports.processes.isAlive(cp.pid, cp.startTicks)) {
        log.info({ pid: cp.pid }, "re-attached to running task");
        if (task.killRequestedAt === undefined) {
          this.reporter.report(task.taskId, TaskState.RUNNING, "re-attached after agent restart");
          // Checks resume from the task's start (its grace period is not granted again); its environment is the wrapper's.
          const pid = cp.pid;
          const where = {
            env: () => this.ports.processes.environOf(pid),
            instanceIp: () => this.instances.ipOf(cp.instanceId),
            wrap: this.commands.wrapperFor(cp.user ?? "", () => this.instances.netnsPathOf(cp.instanceId)),
          };
          this.checks.start(task, { health: cp.healthChecks ?? [], readiness: cp.readinessChecks ?? [] }, Date.parse(cp.startedAt), where);
        } else {
          this.signalKill(task);
        }
        const ended = this.ports.processes.watch(cp.pid, cp.startTicks, this.abort.signal, task.paths.exitStatusFile).then(() => ({ signal: undefined }));
        task.done = this.track(this.supervise(task, cp.pgid, ended, false));
      } else {
        log.warn({ pid: cp.pid }, "task process ended while the agent was down");
        task.done = this.track(this.supervise(task, cp.pgid, Promise.resolve({ signal: undefined }), true));
      }
    }
    await this.instances.recover(new Set(this.tasks.keys()));
    await this.sweep(foreign);
    this.collectGarbage();
    this.gcTimer = setInterval(() => this.collectGarbage(), GC_INTERVAL_MS);
    this.gcTimer.unref();
  }

  /** Removes what tasks that ended long ago left on disk, and forgets them (see `collectSandboxes`). */
  private collectGarbage(): void {
    try {
      const { taskIds } = collectSandboxes({
        sandboxes: this.ports.sandboxes,
        instances: this.ports.instances,
        agentId: this.options.agentId,
        nowMs: this.ports.now().getTime(),
        maxAgeMs: this.options.sandboxGcMs,
        logger: this.ports.logger,
      });
      for (const id of taskIds) this.ended.delete(id);
    } catch (err) {
      this.ports.logger.error({ err }, "sandbox collection failed; tried again in an hour");
    }
  }

  /**
   * A checkpoint written before its process was started (the agent stopped in between): the pid
   * the wrapper wrote completes it (running or not: its exit status, if any, says how it ended);
   * without one the task never ran, and its final state FAILED is recorded and reported. True
   * when the checkpoint now names a process to re-attach to or to account for.
   */
  private completeStartingCheckpoint(cp: TaskCheckpoint): boolean {
    const log = this.ports.logger.child({ task: cp.taskId });
    const wrapper = this.ports.processes.findWrapper(this.ports.sandboxes.paths(cp.taskId));
    if (wrapper) {
      cp.pid = wrapper.pid;
      cp.pgid = wrapper.pid;
      cp.startTicks = wrapper.startTicks;
      delete cp.starting;
      this.ports.sandboxes.writeCheckpoint(cp);
      log.info({ pid: wrapper.pid, running: wrapper.running }, "task started just before the agent stopped: its checkpoint is completed from the wrapper's pid");
      return true;
    }
    log.warn("task was being started when the agent stopped and never ran");
    const final = this.reporter.finalOf({ state: TaskState.FAILED, message: "the agent stopped while starting the task; it never ran", exitCode: -1, signal: "", reason: TaskReason.launchFailed });
    cp.final = final;
    this.ports.sandboxes.writeCheckpoint(cp);
    this.ended.set(cp.taskId, final);
    void this.ports.isolator.reattach(cp.cgroupDirs).destroy().then(() => this.publishFinal(cp, final));
    return false;
  }

  /** Kills and removes the cgroups and launch wrappers of this agent that no live checkpoint names (left by a crash); `foreign` tasks (another agent id's checkpoints) are left alone. */
  private async sweep(foreign: ReadonlySet<string>): Promise<void> {
    const keep = new Set([...this.tasks.keys(), ...foreign]);
    for (const { pid, taskId } of this.ports.processes.wrappersUnder(this.ports.sandboxes.root)) {
      if (keep.has(taskId)) continue;
      this.ports.logger.warn({ task: taskId, pid }, "launch wrapper of a task no checkpoint names: killing its process group");
      this.ports.processes.signalGroup(pid, "SIGKILL");
    }
    const swept = await this.ports.isolator.sweep(keep);
    if (swept.length > 0) this.ports.logger.warn({ tasks: swept }, "swept cgroups no checkpoint named");
  }

  /** Acts on one command. Commands of a batch are applied in order; a launch returns once its launcher was asked for (a kill after it is signalled once the launcher runs). */
  async handle(command: agentV1.AgentCommand): Promise<void> {
    if (this.stopping) return;
    switch (command.command.case) {
      case "launch":
        return this.launchTask(command.command.value);
      case "launchInstance":
        return this.launchInstance(command.command.value);
      case "kill":
        return this.kill(command.command.value);
      default:
        this.ports.logger.warn("empty agent command ignored");
    }
  }

  /**
   * Stops supervising. With `killTasks` every task is killed (SIGTERM, SIGKILL after its grace)
   * and its final status handed to the sink before this resolves; without, tasks keep running
   * and a later agent on the same work directory re-attaches to them.
   */
  async stop({ killTasks }: { killTasks: boolean }): Promise<void> {
    this.stopping = true;
    if (killTasks) {
      for (const task of this.tasks.values()) {
        if (task.killRequestedAt === undefined) this.requestKill(task, task.killGraceMs, "agent shutting down");
      }
      await Promise.all([...this.tasks.values()].map((t) => t.done));
      // A task leaves `tasks` before its end is fully handled (its instance's network released,
      // its final state published): wait for those too, so nothing is written after the stop.
      await Promise.all(this.inFlight);
      this.ports.isolator.releaseAgentDirs();
    }
    this.stopped = true;
    clearInterval(this.gcTimer);
    for (const task of this.tasks.values()) {
      clearTimeout(task.escalation);
      this.checks.stop(task);
      task.readiness?.stop();
    }
    this.abort.abort();
    this.ports.processes.close();
  }

  private async launchTask(command: agentV1.LaunchTask): Promise<void> {
    const problem = launchProblem(command);
    if (problem) {
      this.ports.logger.warn({ task: command.taskId, app: command.appId, instance: command.instanceId, problem }, "launch rejected");
      void this.reporter.reportFinal(command.taskId, this.reporter.finalOf({ state: TaskState.ERROR, message: problem, exitCode: -1, signal: "", reason: TaskReason.invalid }));
      return;
    }
    return this.start(taskLaunchFromLaunchTask(command));
  }

  private async launchInstance(command: agentV1.LaunchInstance): Promise<void> {
    const log = this.ports.logger.child({ instance: command.instanceId, app: command.runSpec?.id, tasks: command.taskIds });
    if (command.taskIds.some((id) => this.tasks.has(id) || this.ended.has(id))) {
      log.info("launch of an instance already known: nothing starts, the final status of its ended tasks is reported again");
      for (const id of command.taskIds) this.repeatEnded(id);
      return;
    }
    const decision = decideInstanceLaunch(command, { gpus: this.options.gpus, gpusInUse: this.gpusInUse(), ...(this.ports.openSecret ? { openSecret: this.ports.openSecret } : {}) });
    if (!decision.ok) {
      log.warn({ problem: decision.message }, "instance launch refused");
      this.endUnstarted(decision.taskIds, TaskState.ERROR, decision.message, TaskReason.invalid);
      return;
    }
    this.launching.add(command.instanceId);
    try {
      let prepared: PreparedInstance;
      try {
        prepared = await this.instances.prepare(decision.instance, decision.tasks.map((t) => t.taskId));
      } catch (err) {
        log.error({ err }, "instance could not be set up");
        this.endUnstarted(decision.tasks.map((t) => t.taskId), TaskState.FAILED, `could not set up the instance: ${(err as Error).message}`, TaskReason.launchFailed);
        return;
      }
      for (const task of decision.tasks) await this.start(task, prepared);
    } finally {
      this.launching.delete(command.instanceId);
    }
    // Every task may have ended while the others started.
    await this.instances.taskEnded(command.instanceId, new Set(this.tasks.keys()));
  }

  /** Reports tasks that never started in a final state, once, and remembers them as ended (a repeated launch reports the same again and starts nothing). */
  private endUnstarted(taskIds: readonly string[], state: schedulerV1Model.TaskState, message: string, reason: string): void {
    for (const id of taskIds) {
      const final = this.reporter.finalOf({ state, message, exitCode: -1, signal: "", reason });
      this.ended.set(id, final);
      void this.reporter.reportFinal(id, final);
    }
  }

  /** GPU indices held by the tasks running now, with the task holding each. */
  private gpusInUse(): Map<number, string> {
    return new Map([...this.tasks.values()].flatMap((t) => t.gpuIndices.map((i) => [i, t.taskId] as const)));
  }

  /** Reports a task's final state again when it ended; true when it did. */
  private repeatEnded(taskId: string): boolean {
    const earlier = this.ended.get(taskId);
    // A new update id: a repeat must reach the stream, which keeps one report per id.
    if (earlier) void this.reporter.reportFinal(taskId, { ...earlier, updateId: this.ports.newId(), timestamp: this.ports.now().toISOString() });
    return earlier !== undefined;
  }

  /** Starts one checked task: sandbox, cgroups (with its GPUs' devices), environment, process, checkpoint. */
  private async start(launch: TaskLaunch, instance?: PreparedInstance): Promise<void> {
    const log = this.ports.logger.child({ task: launch.taskId, app: launch.appId, instance: launch.instanceId });
    if (this.tasks.has(launch.taskId)) {
      log.debug("launch of a task already running ignored");
      return;
    }
    if (this.repeatEnded(launch.taskId)) {
      log.info("launch of a task that already ended: its final status is reported again, nothing starts");
      return;
    }
    let gpuIndices = launch.assignedGpus === undefined ? [] : [...launch.assignedGpus];
    if (launch.assignedGpus === undefined && (this.options.gpus.length > 0 || launch.resources.gpus > 0)) {
      // A LaunchTask carries only a count: the agent picks, until every launch comes with an assignment.
      const inUse = this.gpusInUse();
      const picked = pickGpus(this.options.gpus, new Set(inUse.keys()), launch.resources.gpus);
      if (!picked) {
        const message = `task needs ${launch.resources.gpus} GPUs; ${this.options.gpus.length - inUse.size} of ${this.options.gpus.length} are free`;
        log.warn(message);
        void this.reporter.reportFinal(launch.taskId, this.reporter.finalOf({ state: TaskState.ERROR, message, exitCode: -1, signal: "", reason: TaskReason.invalid }));
        return;
      }
      gpuIndices = picked;
    }

    const task: ActiveTask = {
      taskId: launch.taskId,
      instanceId: launch.instanceId,
      appId: launch.appId,
      appVersion: launch.appVersion,
      paths: this.ports.sandboxes.paths(launch.taskId),
      gpuIndices,
      killGraceMs: launch.killGraceMs,
      done: Promise.resolve(),
    };
    this.tasks.set(task.taskId, task);
    this.reporter.report(task.taskId, TaskState.STAGING, "launch received");
    let asked = () => {};
    const launcherAsked = new Promise<void>((resolve) => (asked = resolve));
    const running = this.run(task, launch, instance, gpuIndices, asked);
    // The next command waits until this task's launcher was asked for (sandbox, cgroups and
    // write-ahead checkpoint done), not for its exec: its pid, RUNNING and supervision follow
    // when the launcher server answers, while later launches are prepared. Fetching artifacts
    // can take long: it goes on in the background so that later commands (a kill of this very
    // task) are not held up behind it. `stop` waits for both like for a running task.
    task.done = this.track(running);
    if (launch.artifacts.length === 0) await Promise.race([launcherAsked, running]);
  }

  /** Sets up and starts a registered task: sandbox, volumes, artifacts, user, cgroups, environment, write-ahead checkpoint, process. */
  private async run(task: ActiveTask, launch: TaskLaunch, instance: PreparedInstance | undefined, gpuIndices: number[], asked: () => void): Promise<void> {
    const log = this.ports.logger.child({ task: launch.taskId, app: launch.appId, instance: launch.instanceId });
    let started: StartedProcess;
    let taskEnv: NodeJS.ProcessEnv = {};
    try {
      task.paths = this.ports.sandboxes.prepare(task.taskId);
      for (const m of launch.volumeMounts) {
        const target = instance?.volumeDirs.get(m.volume);
        if (target === undefined) throw new Error(`volume "${m.volume}" was not prepared`);
        // Without a mount namespace a link cannot be read-only: say so rather than pretend.
        if (m.readOnly) log.warn({ volume: m.volume, mountPath: m.mountPath }, "read-only volume mounts are not enforced by this agent (no mount namespace)");
        this.ports.sandboxes.linkVolume(task.taskId, m.mountPath, target);
      }
      const runAs = this.commands.userOf(launch.user);
      if (launch.artifacts.length > 0) {
        // Fetched before anything else is set up; a kill meanwhile aborts it and nothing starts.
        task.fetching = new AbortController();
        await this.ports.artifacts.fetch(launch.artifacts, task.paths.sandbox, task.fetching.signal);
        delete task.fetching;
      }
      if (task.killRequestedAt !== undefined) throw new Error("killed before it started");
      if (runAs !== undefined) this.ports.sandboxes.grant(task.taskId, runAs);
      task.isolation = this.ports.isolator.prepare(task.taskId, {
        cpus: launch.resources.cpus,
        memMb: launch.resources.mem,
        deniedDevices: gpuDeviceDenials(this.options.gpus, gpuIndices),
      });
      const env = buildTaskEnvironment(launch, {
        hostname: this.options.hostname,
        sandbox: task.paths.sandbox,
        agentId: this.options.agentId,
        inherited: process.env,
        gpuIndices: this.options.gpus.length > 0 ? gpuIndices : undefined,
      });
      const scrape = prometheusScrapeOf(launch.labels, env);
      task.metricDims = { containerName: launch.container ?? "", labels: { ...launch.labels }, ...(scrape ? { scrape } : {}) };
      // Listeners are on the agent's loopback: not reachable from a pod's own network namespace.
      const statsd = instance?.netnsPath ? undefined : await this.ports.statsd?.open(task.taskId);
      if (statsd) Object.assign(env, { STATSD_UDP_HOST: statsd.host, STATSD_UDP_PORT: String(statsd.port) });
      if (task.killRequestedAt !== undefined) throw new Error("killed before it started");
      // Write-ahead: on disk before the process exists, so a crash in between leaves nothing unnamed.
      task.checkpoint = {
        version: 1,
        taskId: task.taskId,
        instanceId: task.instanceId,
        appId: task.appId,
        appVersion: task.appVersion,
        agentId: this.options.agentId,
        starting: true,
        pid: 0,
        pgid: 0,
        startTicks: 0,
        startedAt: this.ports.now().toISOString(),
        killGraceMs: task.killGraceMs,
        gpuIndices,
        assignedPorts: [...launch.assignedPorts],
        cgroupDirs: task.isolation.dirs,
        healthChecks: [...launch.healthChecks],
        ...(launch.readinessChecks.length > 0 ? { readinessChecks: [...launch.readinessChecks] } : {}),
        ...(launch.user === "" ? {} : { user: launch.user }),
      };
      this.ports.sandboxes.writeCheckpoint(task.checkpoint);
      taskEnv = env;
      if (runAs !== undefined) Object.assign(env, { USER: runAs.name, LOGNAME: runAs.name, HOME: runAs.home });
      // The launcher's child joins the cgroups, enters the instance's network namespace (as root),
      // becomes the user (with the user's groups), then execs the task.
      const starting = this.ports.processes.start({ argv: [...launch.argv], env, paths: task.paths, joinFiles: task.isolation.joinFiles, user: runAs?.name, netnsPath: instance?.netnsPath, deniedDevices: gpuDeviceDenials(this.options.gpus, gpuIndices) });
      asked();
      started = await starting;
    } catch (err) {
      delete task.fetching;
      await task.isolation?.destroy();
      this.tasks.delete(task.taskId);
      this.ports.statsd?.close(task.taskId);
      const killed = task.killRequestedAt !== undefined;
      if (killed) log.info("task killed before it started");
      else log.error({ err }, "task could not be started");
      const final = this.reporter.finalOf(
        killed
          ? { state: TaskState.KILLED, message: task.killReason ?? "killed on request", exitCode: -1, signal: "", reason: TaskReason.killedDuringLaunch }
          : { state: TaskState.FAILED, message: `could not start: ${(err as Error).message}`, exitCode: -1, signal: "", reason: TaskReason.launchFailed },
      );
      this.ended.set(task.taskId, final);
      if (task.checkpoint) {
        task.checkpoint.final = final;
        this.ports.sandboxes.writeCheckpoint(task.checkpoint);
        void this.publishFinal(task.checkpoint, final);
      } else {
        void this.reporter.reportFinal(task.taskId, final);
      }
      return;
    }
    delete task.checkpoint.starting;
    task.checkpoint.pid = started.pid;
    task.checkpoint.pgid = started.pgid;
    task.checkpoint.startTicks = started.startTicks;
    this.ports.sandboxes.writeCheckpoint(task.checkpoint);
    log.info({ pid: started.pid, sandbox: task.paths.sandbox, isolated: task.isolation.dirs.length > 0, gpus: gpuIndices, ports: launch.assignedPorts.map((p) => p.hostPort) }, "task running");
    if (task.killRequestedAt === undefined) {
      this.reporter.report(task.taskId, TaskState.RUNNING, "process started");
      const where = { env: () => taskEnv, instanceIp: () => instance?.ip, wrap: this.commands.wrapperFor(launch.user, () => instance?.netnsPath) };
      this.checks.start(task, { health: launch.healthChecks, readiness: launch.readinessChecks }, this.ports.now().getTime(), where);
    } else {
      // Killed while its launcher was being started: the signals it could not be sent then.
      this.signalKill(task);
    }
    task.done = this.track(this.supervise(task, started.pgid, started.ended, false));
  }

  private kill(kill: agentV1.KillTask): void {
    const task = this.tasks.get(kill.taskId);
    const log = this.ports.logger.child({ task: kill.taskId });
    if (!task) {
      if (this.repeatEnded(kill.taskId)) {
        log.info("kill of a task that already ended: its final status is reported again");
        return;
      }
      // Nothing runs under this id, which is what the kill wants: say KILLED so the scheduler can
      // close the instance, and remember it so a launch arriving late does not start it.
      log.info("kill of a task unknown to this agent: reported KILLED, a later launch of it is refused");
      const final = this.reporter.finalOf({ state: TaskState.KILLED, message: "task was not running on this agent", exitCode: -1, signal: "", reason: TaskReason.unknown });
      this.ended.set(kill.taskId, final);
      void this.reporter.reportFinal(kill.taskId, final);
      return;
    }
    if (task.killRequestedAt !== undefined) {
      log.debug("task is already being killed");
      return;
    }
    this.requestKill(task, killGraceMs(kill.killGracePeriodSeconds, task.killGraceMs / 1000), "kill requested");
  }

  /** Kills a task: SIGTERM now, SIGKILL after `graceMs`. `ownReason` is set when the agent itself decided it (failed health checks): the task's final message. */
  private requestKill(task: ActiveTask, graceMs: number, why: string, ownReason?: string): void {
    this.checks.stop(task);
    task.fetching?.abort();
    task.killRequestedAt = this.ports.now().toISOString();
    task.killGraceMs = graceMs;
    if (ownReason !== undefined) task.killReason = ownReason;
    if (task.checkpoint) {
      task.checkpoint.killRequestedAt = task.killRequestedAt;
      task.checkpoint.killGraceMs = graceMs;
      if (ownReason !== undefined) task.checkpoint.killReason = ownReason;
      this.ports.sandboxes.writeCheckpoint(task.checkpoint);
    }
    this.ports.logger.info({ task: task.taskId, graceMs, why }, "killing task");
    this.reporter.report(task.taskId, TaskState.KILLING, why);
    this.signalKill(task);
  }

  /** SIGTERM to the task's process group now, SIGKILL to the group and its cgroups after the grace period. */
  private signalKill(task: ActiveTask): void {
    const pgid = task.checkpoint?.pgid;
    // No process yet (still starting): `run` signals it once its launcher runs.
    if (pgid === undefined || pgid <= 0) return;
    this.ports.processes.signalGroup(pgid, "SIGTERM");
    task.escalation = setTimeout(() => {
      if (this.stopped) return;
      this.ports.logger.info({ task: task.taskId }, "grace period over: SIGKILL");
      this.ports.processes.signalGroup(pgid, "SIGKILL");
      task.isolation?.killAll();
    }, task.killGraceMs);
  }

  /**
   * Waits for a task to end and reports how. The wrapper ending with an exit status on file
   * means the task's command ended: what is left of its group is killed. The wrapper ending
   * without one means it was signalled (our kill, an OOM kill, someone else): the agent waits
   * for the group to empty (a kill's grace period is still running), then decides.
   */
  private async supervise(task: ActiveTask, pgid: number, wrapperEnded: Promise<{ signal: string | undefined }>, goneWhileAgentDown: boolean): Promise<void> {
    const { processes } = this.ports;
    const { signal } = await wrapperEnded;
    this.checks.stop(task);
    if (this.stopped) return;
    const status = processes.readExitStatus(task.paths.exitStatusFile);
    if (status !== undefined || task.killRequestedAt === undefined) {
      processes.signalGroup(pgid, "SIGKILL");
      task.isolation?.killAll();
    }
    // The task's cgroups say it in one read (and see processes that left the group); without them, the process group.
    while (task.isolation?.populated() ?? processes.groupAlive(pgid)) {
      await new Promise((r) => setTimeout(r, GROUP_POLL_MS));
      if (this.stopped) return;
    }
    clearTimeout(task.escalation);
    const oomKilled = task.isolation?.oomKilled() ?? false;
    await task.isolation?.destroy();
    const outcome = classifyTaskEnd({ status, wrapperSignal: signal, killRequested: task.killRequestedAt !== undefined, killReason: task.killReason, oomKilled, goneWhileAgentDown });
    const final = this.reporter.finalOf(outcome);
    this.tasks.delete(task.taskId);
    this.ended.set(task.taskId, final);
    this.ports.statsd?.close(task.taskId);
    this.ports.logger.info({ task: task.taskId, app: task.appId, state: schedulerV1Model.TaskState[final.state], message: final.message, exitCode: final.exitCode, signal: final.signal }, "task ended");
    if (task.checkpoint) {
      task.checkpoint.final = final;
      this.ports.sandboxes.writeCheckpoint(task.checkpoint);
      // The last task of an instance releases what its containers shared (its network namespace).
      if (!this.launching.has(task.instanceId)) await this.instances.taskEnded(task.instanceId, new Set(this.tasks.keys()));
      await this.publishFinal(task.checkpoint, final);
    } else {
      await this.reporter.reportFinal(task.taskId, final).catch(() => {});
    }
  }

  /** Publishes a checkpointed final state (same update id on every try, so the stream keeps one) and marks it reported. */
  private async publishFinal(cp: TaskCheckpoint, final: FinalReport): Promise<void> {
    try {
      await this.reporter.reportFinal(cp.taskId, final);
      cp.finalReported = true;
      this.ports.sandboxes.writeCheckpoint(cp);
    } catch (err) {
      this.ports.logger.warn({ err, task: cp.taskId }, "final status not acknowledged before stop; it is re-published on the next start");
    }
  }
}
