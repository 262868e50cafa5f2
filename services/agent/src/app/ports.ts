import type { agentV1 } from "@gantry/proto";
import type { Logger } from "@gantry/platform/logging";
import type { ArtifactPlan, HealthProbe, InstanceRecord, PortMapping, ProbeResult, TaskCheckpoint } from "../domain/index.ts";

/** Where one task's files are: its sandbox (the task's cwd), captured output and the agent's notes. */
export interface SandboxPaths {
  sandbox: string;
  stdout: string;
  stderr: string;
  /** Written by the task launcher with the task command's exit status. */
  exitStatusFile: string;
  /** Written by the task launcher with its own pid, before anything else it does. */
  pidFile: string;
}

/** Sandboxes and checkpoints on disk. */
export interface SandboxStore {
  /** Creates `<workDir>/sandboxes/<taskId>` (and its `.gantry` notes directory); returns its paths. */
  prepare(taskId: string): SandboxPaths;
  paths(taskId: string): SandboxPaths;
  /** Atomically replaces the task's checkpoint. */
  writeCheckpoint(checkpoint: TaskCheckpoint): void;
  /** Gives the task's sandbox (its directory and everything in it but the agent's notes, without following links) to the user the task runs as. */
  grant(taskId: string, user: { uid: number; gid: number }): void;
  /** Makes `target` (a volume's directory) appear at `mountPath` inside the task's sandbox (a symbolic link; parents made). */
  linkVolume(taskId: string, mountPath: string, target: string): void;
  /** Removes a task's sandbox, everything in it (its checkpoint too). */
  remove(taskId: string): void;
  /** Every sandbox with its checkpoint (undefined when missing or unreadable). */
  list(): { taskId: string; checkpoint: TaskCheckpoint | undefined }[];
  /** The directory holding every sandbox. */
  readonly root: string;
}

/** What starting a task's process needs. */
export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  paths: SandboxPaths;
  /** cgroup.procs files the process joins before it execs the task. */
  joinFiles: string[];
  /** The user the task runs as (a name; its groups too), entered after the joins; undefined: the agent's. */
  user?: string | undefined;
  /** The network namespace the task enters (its instance's), after the cgroup joins and as root; undefined: the agent's. */
  netnsPath?: string | undefined;
  /** Devices the task may not use (`c 195:1 rwm`: the agent's GPUs it was not given); enforced here on cgroup v2 (v1: the isolator's devices group). */
  deniedDevices?: readonly string[] | undefined;
}

/** A started task process: the task launcher leading its own process group. */
export interface StartedProcess {
  pid: number;
  pgid: number;
  startTicks: number;
  /** Settles when the wrapper process ended; `signal` names what ended it, if a signal did. */
  ended: Promise<{ signal: string | undefined }>;
}

/** Operating system processes. */
export interface ProcessRuntime {
  /** Starts the task's launcher; resolves once it runs (its pid known), rejects when it could not be started. */
  start(spec: ProcessSpec): Promise<StartedProcess>;
  /** True while `pid` runs and is the same process (same start time), not a zombie. */
  isAlive(pid: number, startTicks: number): boolean;
  /**
   * Resolves when `pid` is no longer that process (the agent may not be its parent: after a
   * restart), woken by `exitStatusFile` appearing when given; resolves early on abort.
   */
  watch(pid: number, startTicks: number, signal: AbortSignal, exitStatusFile?: string): Promise<void>;
  /** True while any process is in the group. */
  groupAlive(pgid: number): boolean;
  signalGroup(pgid: number, signal: "SIGTERM" | "SIGKILL"): void;
  readExitStatus(file: string): number | undefined;
  /**
   * The launch wrapper of a sandbox, from the pid it wrote: its pid and start time when that
   * process still runs as the wrapper of this sandbox (its working directory), else only the pid
   * it wrote (`running: false`); undefined when it never wrote one.
   */
  findWrapper(paths: SandboxPaths): { pid: number; startTicks: number; running: boolean } | undefined;
  /** The environment `pid` was started with (/proc/<pid>/environ); {} when it cannot be read. */
  environOf(pid: number): NodeJS.ProcessEnv;
  /** Launch wrappers running in any sandbox under `sandboxesRoot`, by the task id of their sandbox (a one-time scan of /proc, at start). */
  wrappersUnder(sandboxesRoot: string): { pid: number; taskId: string }[];
  /** Releases what starting tasks holds (the launcher server); the tasks keep running. Starts after it are not supported. */
  close(): void;
}

/** A task's isolation (cgroups), or nothing for plain processes. */
export interface TaskIsolation {
  /** Directories to checkpoint (re-attach after a restart). */
  dirs: string[];
  joinFiles: string[];
  oomKilled(): boolean;
  /** SIGKILLs every process in the task's groups (catches processes that left the process group). */
  killAll(): void;
  /**
   * Whether any process of the task is still in its groups (one read of `cgroup.procs`: exited
   * processes leave their group at exit, so zombies do not count); undefined without groups, or
   * when they no longer exist, and the caller must look at the process group instead.
   */
  populated(): boolean | undefined;
  /** Kills what is left and removes the groups; never throws (logs). */
  destroy(): Promise<void>;
}

/** What a task's isolation enforces. */
export interface TaskLimits {
  cpus: number;
  memMb: number;
  /**
   * `devices.deny` entries (`c 195:1 rwm`): the agent's GPUs the task was not given. Empty when
   * there is nothing to withhold; ignored where no v1 devices hierarchy is mounted.
   */
  deniedDevices: string[];
}

/** Creates and finds task isolation. */
export interface Isolator {
  /** Throws when the groups cannot be created or limited. */
  prepare(taskId: string, limits: TaskLimits): TaskIsolation;
  reattach(dirs: string[]): TaskIsolation;
  /** Removes the agent's own parent groups when empty (on a stop that killed every task). */
  releaseAgentDirs(): void;
  /** Kills the processes of, and removes, every task group of this agent whose task id is not in `keep`; returns their task ids. */
  sweep(keep: ReadonlySet<string>): Promise<string[]>;
}

/** Reports task status; resolves once the durable stream acknowledged the update, in the order reported. Rejects only when the agent stops first. */
export interface StatusSink {
  report(update: agentV1.TaskStatusUpdate): Promise<void>;
}

/** Instance directories: records and ephemeral volumes. */
export interface InstanceStore {
  write(record: InstanceRecord): void;
  /** The directory of one ephemeral volume of an instance (made when missing). */
  volumeDir(instanceId: string, volume: string): string;
  /** Every instance record on disk (unreadable ones left out). */
  list(): InstanceRecord[];
  /** Removes an instance's directory (its record and ephemeral volumes). */
  remove(instanceId: string): void;
}

/** An instance attached to a container network: its namespace and address, and the plugins' result (kept for the detach). */
export interface PodNetworkAttachment {
  netnsName: string;
  netnsPath: string;
  network: string;
  ip: string;
  result: unknown;
}

/** Container networks (CNI): a network namespace per instance, attached and detached. */
export interface PodNetworks {
  /** Creates the instance's network namespace (lo up) and attaches it to `network` with `portMappings`; throws, having undone what it did, naming the network and the failing plugin. */
  attach(instanceId: string, network: string, portMappings: PortMapping[]): Promise<PodNetworkAttachment>;
  /** Detaches and deletes the namespace; never throws (logs); idempotent. */
  detach(attachment: { instanceId: string; netnsName: string; network: string; portMappings: PortMapping[] }): Promise<void>;
  /** The names of this agent's network namespaces that exist now (for the start-up sweep). */
  listNamespaces(): string[];
  /** The namespace name an instance gets (recorded before `attach`, so a crash in between is swept). */
  namespaceOf(instanceId: string): string;
}

/** A user a task can run as. */
export interface TaskUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The machine's users. */
export interface UserDirectory {
  /** The name of the user the agent runs as. */
  current(): string;
  /** A user by name; undefined when the machine has none of that name. */
  lookup(name: string): TaskUser | undefined;
}

/** Where a task's command checks run: its sandbox, with its environment (read when the probe runs). */
export interface ProbeContext {
  sandbox: string;
  /** Turns a command check's argv into the command as the task runs it (its user, its network namespace). */
  wrap(argv: string[]): string[];
  /** The instance's address on its container network (read at each probe); undefined on the agent's own network. */
  instanceIp(): string | undefined;
  env(): NodeJS.ProcessEnv;
}

/** Runs one health probe to its end (its timeout included); never rejects. */
export interface HealthProber {
  probe(probe: HealthProbe, context: ProbeContext): Promise<ProbeResult>;
}

/** Fetches a container's artifacts into its sandbox before the container starts. */
export interface ArtifactFetcher {
  /**
   * Fetches `plan` into `sandbox` (which exists) in order, each under its plan's `path`
   * (directories created as needed): made executable or unpacked as planned. Rejects at the first
   * artifact that fails, with an Error whose message is `fetching <uri> failed: <why>` (password
   * hidden); artifacts before it stay in the sandbox, those after it are not fetched. `signal`
   * stops the fetch in progress.
   */
  fetch(plan: readonly ArtifactPlan[], sandbox: string, signal: AbortSignal): Promise<void>;
}

/** Everything the task supervisor needs from outside. */
export interface SupervisorPorts {
  sandboxes: SandboxStore;
  processes: ProcessRuntime;
  isolator: Isolator;
  status: StatusSink;
  health: HealthProber;
  instances: InstanceStore;
  users: UserDirectory;
  artifacts: ArtifactFetcher;
  /** Container networks; undefined where the agent has none (not root, no CNI plugins). */
  networks: PodNetworks | undefined;
  /** Opens a secret sealed into a run spec (source path, sealed value); undefined where the agent has no secrets key. */
  openSecret: ((source: string, sealed: string) => string) | undefined;
  /** Per-task StatsD listeners (their address goes into STATSD_UDP_HOST/PORT); absent: none offered. */
  statsd?: { open(taskId: string): Promise<{ host: string; port: number }>; close(taskId: string): void };
  logger: Logger;
  now(): Date;
  newId(): string;
}
