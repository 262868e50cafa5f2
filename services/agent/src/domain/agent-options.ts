import type { FieldViolation } from "@gantry/platform/errors";
import { isolationCapabilities, type CgroupSupport } from "./cgroups.ts";
import {
  AGENT_ID_PATTERN,
  defaultAgentId,
  parseAmount,
  parseAttributes,
  parseGpuList,
  parsePortRanges,
  parseRoles,
  type GpuDeviceSpec,
  type PortRangeSpec,
} from "./option-parsers.ts";
import type { AgentEndpointSettings } from "./exec-endpoint-options.ts";

/** How tasks are isolated: `auto` uses cgroups when root on Linux with cpu+memory controllers, `none` never, `cgroups` insists. */
export type IsolationMode = "auto" | "none" | "cgroups";

/**
 * Agent options as given (CLI flags, environment, `gantry up`): every field optional, numbers
 * may come as strings. `compileAgentOptions` turns them into `AgentOptions` once, at the edge.
 */
export interface RawAgentOptions {
  agentId?: string;
  hostname?: string;
  /** Work directory (sandboxes, checkpoints); default `$GANTRY_HOME/agent/<agentId>`. */
  workDir?: string;
  /** Default `$GANTRY_HOME`, else `~/.gantry`. */
  gantryHome?: string;
  cpus?: number | string;
  /** Megabytes. */
  mem?: number | string;
  /** Megabytes. */
  disk?: number | string;
  /** `31000-32000,40000-40010`. */
  ports?: string;
  /** `0:GPU-uuid:Tesla V100,1:…`; used when nvidia-smi finds none. */
  gpus?: string;
  /** `rack:r1;zone:a`, or a map. */
  attributes?: string | Record<string, string>;
  /** `*,gpu`, or a list. */
  roles?: string | string[];
  isolation?: string;
  /** Hours after which what an ended task left on disk is removed (Mesos' gc_delay); default 168 (a week). */
  sandboxGcHours?: number | string;
  /** Where CNI network configurations are (`.conflist`/`.conf` files); default `/etc/gantry/cni`. */
  cniConfigDir?: string;
  /** Where CNI plugins are, `:`-separated; default the directories of `MachineFacts.cniPluginDirs`. */
  cniPluginDirs?: string;
  /** The agent's gRPC endpoint (exec): `HOST:PORT`, `PORT` or `off`; default `<hostname>:0` (see exec-endpoint-options.ts). */
  grpcListen?: string;
  /** PEM file of the gateway's exec ticket public key (Ed25519). */
  execKeyFile?: string;
}

/** Facts about the machine the defaults come from (probed by the OS adapter; faked in tests). */
export interface MachineFacts {
  hostname: string;
  platform: string;
  isRoot: boolean;
  cpuCount: number;
  totalMemBytes: number;
  /** Free bytes on the file system of the work directory; undefined when it cannot be read. */
  diskBytes: number | undefined;
  /** GPUs nvidia-smi reported; undefined when nvidia-smi is absent or failed. */
  nvidiaGpus: GpuDeviceSpec[] | undefined;
  cgroups: CgroupSupport | undefined;
  /** The usual CNI plugin directories that hold the `bridge` plugin (`/usr/lib/cni`, `/opt/cni/bin`); empty when none does. */
  cniPluginDirs: string[];
  /** `$GANTRY_HOME`, when set. */
  gantryHomeEnv: string | undefined;
  homeDir: string;
}

/**
 * Compiled agent options: complete and valid, so the core never re-checks them.
 * `isolation` is resolved: `cgroups` carries where the hierarchies are; `capabilities` is what
 * the agent advertises and logs (e.g. ["process", "cgroups/v1:cpu", "cgroups/v1:memory"], plus
 * "gpus/env" and, with the v1 devices hierarchy, "cgroups/v1:devices" on a GPU agent).
 */
export interface AgentOptions {
  agentId: string;
  hostname: string;
  workDir: string;
  resources: { cpus: number; mem: number; disk: number };
  ports: PortRangeSpec[];
  gpus: GpuDeviceSpec[];
  attributes: Record<string, string>;
  roles: string[];
  /** Resolved isolation; `reason` says in words why tasks run without cgroups. */
  isolation: { kind: "cgroups"; cgroups: CgroupSupport } | { kind: "process"; reason: string };
  /** How long what an ended task left on disk (sandbox, instance directory) is kept, in milliseconds. */
  sandboxGcMs: number;
  /** Whether the agent runs as root: only then can it run a task as another user. */
  isRoot: boolean;
  /** Container networks: CNI (root on Linux, plugins found or named), else none and why. */
  networks: { kind: "cni"; configDir: string; pluginDirs: string[]; stateDir: string } | { kind: "none"; reason: string };
  capabilities: string[];
  /** The gRPC endpoint (exec); absent: none (set by compileAgentOptions, see exec-endpoint-options.ts). */
  endpoint?: AgentEndpointSettings;
}

export type CompiledOptions = { ok: true; options: AgentOptions } | { ok: false; violations: FieldViolation[] };

const MB = 1024 * 1024;

/** Memory offered by default: like Mesos, all but 1 GiB on machines with 2 GiB or more, else half. */
export function defaultMemMb(totalMemBytes: number): number {
  const total = Math.floor(totalMemBytes / MB);
  return total >= 2048 ? total - 1024 : Math.floor(total / 2);
}

/** Disk offered by default: all but 5 GiB when 10 GiB or more are free, else half. */
export function defaultDiskMb(diskBytes: number): number {
  const total = Math.floor(diskBytes / MB);
  return total >= 10_240 ? total - 5_120 : Math.floor(total / 2);
}

/**
 * Compiles raw options against the machine's facts. Pure. Returns every violation at once,
 * each naming its option (`/cpus`, `/ports`, …), rather than stopping at the first.
 */
export function buildAgentOptions(raw: RawAgentOptions, machine: MachineFacts): CompiledOptions {
  const violations: FieldViolation[] = [];
  const bad = (path: string, error: string) => violations.push({ path, errors: [error] });

  const hostname = (raw.hostname ?? machine.hostname).trim();
  if (hostname === "") bad("/hostname", "must not be empty");
  const agentId = raw.agentId ?? defaultAgentId(hostname || "localhost");
  if (!AGENT_ID_PATTERN.test(agentId)) bad("/agentId", `"${agentId}" must be 1-63 letters, digits, '_' or '-', starting with a letter or digit`);

  const home = raw.gantryHome ?? machine.gantryHomeEnv ?? `${machine.homeDir}/.gantry`;
  const workDir = raw.workDir ?? `${home}/agent/${agentId}`;
  if (!workDir.startsWith("/")) bad("/workDir", `"${workDir}" must be an absolute path`);

  const amount = (path: string, input: number | string | undefined, fallback: number | undefined, what: string): number => {
    if (input === undefined) {
      if (fallback === undefined) bad(path, `cannot be read from this machine; give it explicitly`);
      return fallback ?? 0;
    }
    const r = parseAmount(input, what);
    if (!r.ok) bad(path, r.error);
    return r.ok ? r.value : 0;
  };
  const cpus = amount("/cpus", raw.cpus, machine.cpuCount, "cpus");
  const mem = amount("/mem", raw.mem, defaultMemMb(machine.totalMemBytes), "megabytes");
  const disk = amount("/disk", raw.disk, machine.diskBytes === undefined ? undefined : defaultDiskMb(machine.diskBytes), "megabytes");

  const ports = parsePortRanges(raw.ports ?? "31000-32000");
  if (!ports.ok) bad("/ports", ports.error);

  let gpus: GpuDeviceSpec[] = [];
  if (machine.nvidiaGpus !== undefined && machine.nvidiaGpus.length > 0) {
    // The driver's inventory wins: a configured list could only disagree with the hardware.
    gpus = machine.nvidiaGpus;
  } else if (raw.gpus !== undefined) {
    const g = parseGpuList(raw.gpus);
    if (g.ok) gpus = g.value;
    else bad("/gpus", g.error);
  }

  let attributes: Record<string, string> = {};
  if (typeof raw.attributes === "string") {
    const a = parseAttributes(raw.attributes);
    if (a.ok) attributes = a.value;
    else bad("/attributes", a.error);
  } else if (raw.attributes) attributes = { ...raw.attributes };

  const roles = parseRoles(raw.roles ?? ["*"]);
  if (!roles.ok) bad("/roles", roles.error);

  const mode = raw.isolation ?? "auto";
  let isolation: AgentOptions["isolation"] = { kind: "process", reason: mode === "none" ? "isolation disabled by option" : whyNoCgroups(machine) };
  const cgroupsUsable = machine.platform === "linux" && machine.isRoot && machine.cgroups !== undefined;
  if (mode !== "auto" && mode !== "none" && mode !== "cgroups") bad("/isolation", `"${mode}" must be auto, none or cgroups`);
  else if (mode === "cgroups" && !cgroupsUsable) {
    bad("/isolation", `cgroups isolation needs root on Linux with the cpu and memory controllers mounted (${whyNoCgroups(machine)})`);
  } else if (mode !== "none" && cgroupsUsable && machine.cgroups) isolation = { kind: "cgroups", cgroups: machine.cgroups };

  const gcHours = amount("/sandboxGcHours", raw.sandboxGcHours, 168, "hours");
  if (gcHours <= 0) bad("/sandboxGcHours", "must be more than 0");
  const pluginDirs = raw.cniPluginDirs === undefined ? machine.cniPluginDirs : raw.cniPluginDirs.split(":").filter((d) => d !== "");
  if (pluginDirs.some((d) => !d.startsWith("/"))) bad("/cniPluginDirs", `"${raw.cniPluginDirs}" must be absolute paths separated by ':'`);
  const configDir = raw.cniConfigDir ?? "/etc/gantry/cni";
  if (!configDir.startsWith("/")) bad("/cniConfigDir", `"${configDir}" must be an absolute path`);
  const networks: AgentOptions["networks"] =
    machine.platform !== "linux" || !machine.isRoot
      ? { kind: "none", reason: machine.platform !== "linux" ? `platform is ${machine.platform}` : "not running as root" }
      : pluginDirs.length === 0
        ? { kind: "none", reason: "no CNI plugins (install containernetworking-plugins, or name their directory)" }
        : { kind: "cni", configDir, pluginDirs, stateDir: `${workDir}/cni` };

  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    options: {
      agentId,
      hostname,
      workDir,
      resources: { cpus, mem, disk },
      ports: ports.ok ? ports.value : [],
      gpus,
      attributes,
      roles: roles.ok ? roles.value : ["*"],
      isolation,
      sandboxGcMs: gcHours * 3_600_000,
      isRoot: machine.isRoot,
      networks,
      capabilities: isolationCapabilities(isolation.kind === "cgroups" ? isolation.cgroups : undefined)
        .concat(gpuCapabilities(gpus, isolation))
        .concat(networks.kind === "cni" ? ["network/cni"] : []),
    },
  };
}

/**
 * How the agent isolates GPUs: `gpus/env` (CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES) on any
 * GPU agent, plus `cgroups/v1:devices` where the v1 devices cgroup withholds the other GPUs, or
 * `cgroups/v2:devices` where the task launcher's BPF device program on the task's v2 group does.
 */
function gpuCapabilities(gpus: readonly GpuDeviceSpec[], isolation: AgentOptions["isolation"]): string[] {
  if (gpus.length === 0) return [];
  if (isolation.kind === "cgroups" && isolation.cgroups.version === 2) return ["gpus/env", "cgroups/v2:devices"];
  const devices = isolation.kind === "cgroups" && isolation.cgroups.version === 1 && isolation.cgroups.devicesRoot !== undefined;
  return devices ? ["gpus/env", "cgroups/v1:devices"] : ["gpus/env"];
}

/** Says in words why cgroups are not used on this machine (for the startup log and errors). */
export function whyNoCgroups(machine: MachineFacts): string {
  if (machine.platform !== "linux") return `platform is ${machine.platform}`;
  if (!machine.isRoot) return "not running as root";
  if (!machine.cgroups) return "no cgroup v1 cpu+memory mounts and no cgroup v2 with cpu+memory at /sys/fs/cgroup";
  return "cgroups are available";
}
