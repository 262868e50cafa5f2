import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { join } from "node:path";
import type { Logger } from "@gantry/platform/logging";
import type { PortMapping } from "../domain/index.ts";
import type { PodNetworks } from "../app/ports.ts";

/** Where `ip netns add` puts its namespaces (a bind-mounted file each; /var/run links here). */
const NETNS_DIR = "/run/netns";
/** The interface every pod sees: the CNI convention, and what Mesos' CNI isolator names it too. */
const IFNAME = "eth0";
/** DC/OS's name for its default container network, which Marathon apps ask for by name. */
export const DEFAULT_NETWORK = "dcos";
/** One plugin run: bridge + host-local take ~50 ms, portmap a few iptables calls; a hung plugin must not hang a launch. */
const PLUGIN_TIMEOUT_MS = 30_000;
const IP_TIMEOUT_MS = 10_000;
/** CNI's rule for container ids (libcni's ValidateContainerID); host-local and portmap key their state by it. */
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** One plugin's entry in a network configuration list: `type` names its binary. */
export type CniPluginConfig = { type: string; capabilities?: Record<string, boolean>; [key: string]: unknown };

/** A CNI network configuration list (a `.conflist`; a `.conf` is read as a list of one). */
export interface CniNetworkConfig {
  cniVersion: string;
  name: string;
  plugins: CniPluginConfig[];
}

/** Why `attach` failed: names the instance, the network and (for a plugin) which one and its own message. */
export class PodNetworkError extends Error {
  override name = "PodNetworkError";
}

const shortHash = (text: string, hexChars: number) => createHash("sha256").update(text).digest("hex").slice(0, hexChars);

/**
 * The namespace name of an instance: `gantry-<6 hex of sha256(agentId)>-<12 hex of
 * sha256(instanceId)>`. Hashes, because ids are long and may hold characters a file name should
 * not; the agent part lets two agents share a host (each sweeps only its own prefix); 48 bits
 * make a collision among one agent's instances negligible. Not limited to 15 characters (that
 * is interface names; a namespace is a file under /run/netns), but kept short for `ip netns`.
 */
export function podNetnsName(agentId: string, instanceId: string): string {
  return `${podNetnsPrefix(agentId)}${shortHash(instanceId, 12)}`;
}

/** What every namespace name of this agent starts with. */
export function podNetnsPrefix(agentId: string): string {
  return `gantry-${shortHash(agentId, 6)}-`;
}

/**
 * The network a `dcos` launch gets when no config file names `dcos`: a Linux bridge `gantry0`
 * that is the pods' gateway (172.31.0.1), addresses from 172.31.0.0/16 by host-local (state under
 * `<stateDir>/ipam`), hairpin on (a pod reaches itself through its own host port), no
 * masquerade (traffic leaving the host keeps the pod's address, as in DC/OS' overlay), then
 * portmap publishing the instance's host ports, with SNAT so that the host itself and other pods
 * on the bridge can use them.
 */
export function defaultNetworkConfig(stateDir: string): CniNetworkConfig {
  return {
    cniVersion: "1.0.0",
    name: DEFAULT_NETWORK,
    plugins: [
      {
        type: "bridge",
        bridge: "gantry0",
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: "172.31.0.0/16" }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(stateDir, "ipam") },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/**
 * `PodNetworks` (see `app/ports.ts`) by a minimal CNI runtime (the part of libcni the agent
 * needs): network configs are the `.conflist`, `.conf` and `.json` files of `configDir`, chosen
 * by their `name` (the first in file-name order wins, as with libcni), plus the built-in `dcos`
 * network unless a file names it.
 *
 * attach: write-ahead record → `ip netns add` → lo up → ADD each plugin in order (stdin: its
 * config with the list's `name` and `cniVersion`, `prevResult` from the plugin before, and
 * `runtimeConfig.portMappings` where `capabilities.portMappings`) → record with the result. A
 * failure DELs the plugins run so far (and the failing one, which may have half-done its part),
 * deletes the namespace and the record, then throws.
 *
 * detach: DEL each plugin in reverse order with the instance id, config, port mappings and
 * (spec ≥ 0.4.0) final ADD result the record kept (so an edited config file still undoes what
 * the old one did, and a sweep that knows only the namespace name still releases the IP and the
 * port rules, which plugins key by instance id), else with what the caller passed → `ip netns del` → record removed. Deleting the namespace also
 * removes the pod's end of its veth and with it the host end. A DEL that fails is logged and
 * the rest still runs: a broken config (one whose DEL can never pass) must not leave a
 * namespace that every start-up sweep trips over again.
 *
 * Records: `<stateDir>/attachments/<netnsName>.json` (temp file + rename).
 */
export function cniPodNetworks(options: { agentId: string; configDir: string; pluginDirs: string[]; stateDir: string; logger: Logger }): PodNetworks {
  const { agentId, configDir, pluginDirs, stateDir, logger } = options;
  const prefix = podNetnsPrefix(agentId);
  const ours = new RegExp(`^${prefix}[0-9a-f]{12}$`);
  const records = join(stateDir, "attachments");
  const recordFile = (netnsName: string) => join(records, `${netnsName}.json`);
  const netnsPath = (netnsName: string) => join(NETNS_DIR, netnsName);

  const writeRecord = (netnsName: string, record: AttachmentRecord) => {
    mkdirSync(records, { recursive: true });
    const file = recordFile(netnsName);
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${file}.tmp`, file);
  };
  const readRecord = (netnsName: string): AttachmentRecord | undefined => {
    try {
      return JSON.parse(readFileSync(recordFile(netnsName), "utf8")) as AttachmentRecord;
    } catch {
      return undefined;
    }
  };

  const findNetwork = (network: string): CniNetworkConfig | { missing: string } => {
    const { networks, unreadable } = readNetworkConfigs(configDir);
    const found = networks.find((n) => n.name === network);
    if (found) return found;
    if (network === DEFAULT_NETWORK) return defaultNetworkConfig(stateDir);
    const names = [...new Set([...networks.map((n) => n.name), DEFAULT_NETWORK])].sort();
    const bad = unreadable.length === 0 ? "" : `; unreadable: ${unreadable.join("; ")}`;
    return { missing: `no CNI network "${network}" in ${configDir} (networks: ${names.map((n) => `"${n}"`).join(", ")}${bad})` };
  };

  /** DELs plugins `count-1 … 0`, deletes the namespace and the record; returns what failed. */
  const teardown = async (instanceId: string, netnsName: string, config: CniNetworkConfig | undefined, portMappings: PortMapping[], prevResult: unknown, count: number): Promise<string[]> => {
    const failures: string[] = [];
    if (config) {
      for (let i = count - 1; i >= 0; i--) {
        const plugin = config.plugins[i]!;
        const outcome = await execPlugin("DEL", config, i, { pluginDirs, instanceId, netnsPath: netnsPath(netnsName), portMappings, prevResult });
        if (!outcome.ok) failures.push(`DEL plugin "${plugin.type}": ${outcome.message}`);
      }
    }
    if (existsSync(netnsPath(netnsName))) {
      try {
        await ip(["netns", "delete", netnsName]);
      } catch (err) {
        failures.push(`ip netns delete ${netnsName}: ${(err as Error).message}`);
      }
    }
    rmSync(recordFile(netnsName), { force: true });
    return failures;
  };

  return {
    namespaceOf: (instanceId) => podNetnsName(agentId, instanceId),

    async attach(instanceId, network, portMappings) {
      const fail = (reason: string, cause?: unknown) => new PodNetworkError(`attaching instance ${instanceId} to CNI network "${network}" failed: ${reason}`, { cause });
      if (!CONTAINER_ID.test(instanceId)) throw fail(`the instance id is not a valid CNI container id (letters, digits, "_", "." and "-", not starting with one of the last three)`);
      const config = findNetwork(network);
      if ("missing" in config) throw fail(config.missing);
      const netnsName = podNetnsName(agentId, instanceId);
      const path = netnsPath(netnsName);
      if (existsSync(path)) throw fail(`network namespace ${netnsName} already exists (a previous attach of this instance was not detached)`);

      const log = logger.child({ instanceId, network, netns: netnsName });
      let ran = 0;
      try {
        writeRecord(netnsName, { instanceId, network, config, portMappings, result: undefined });
        await ip(["netns", "add", netnsName]);
        await ip(["-n", netnsName, "link", "set", "lo", "up"]);
        let result: unknown = undefined;
        for (let i = 0; i < config.plugins.length; i++) {
          ran = i + 1;
          const outcome = await execPlugin("ADD", config, i, { pluginDirs, instanceId, netnsPath: path, portMappings, prevResult: result });
          if (!outcome.ok) throw fail(`plugin "${config.plugins[i]!.type}" (${i + 1} of ${config.plugins.length}): ${outcome.message}`);
          result = outcome.result;
        }
        const address = podIPv4(result, path);
        if (address === undefined) throw fail(`the plugins returned no IPv4 address for ${IFNAME}: ${JSON.stringify(result)}`);
        writeRecord(netnsName, { instanceId, network, config, portMappings, result });
        log.info({ ip: address }, "pod network attached");
        return { netnsName, netnsPath: path, network, ip: address, result };
      } catch (err) {
        const undoFailures = await teardown(instanceId, netnsName, config, portMappings, undefined, ran);
        if (undoFailures.length > 0) log.error({ failures: undoFailures }, "undoing a failed pod network attach left something behind (IP or port rules may leak)");
        throw err instanceof PodNetworkError ? err : fail((err as Error).message, err);
      }
    },

    async detach({ netnsName, network, instanceId, portMappings }) {
      const log = logger.child({ instanceId, network, netns: netnsName });
      if (!ours.test(netnsName)) {
        log.error("not detaching: the namespace name is not one this agent makes");
        return;
      }
      try {
        const record = readRecord(netnsName);
        let config: CniNetworkConfig | undefined = record?.config;
        if (!config) {
          const found = findNetwork(network);
          if ("missing" in found) log.error({ reason: found.missing }, "pod network detach: no config to run CNI DEL with; only deleting the namespace (its IP and port rules may leak)");
          else config = found;
        }
        const prevResult = config && cniVersionAtLeast(config.cniVersion, [0, 4, 0]) ? record?.result : undefined;
        const failures = await teardown(record?.instanceId ?? instanceId, netnsName, config, record?.portMappings ?? portMappings, prevResult, config?.plugins.length ?? 0);
        if (failures.length > 0) log.error({ failures }, "pod network detach left something behind (IP or port rules may leak)");
        else log.info("pod network detached");
      } catch (err) {
        log.error({ err }, "pod network detach failed");
      }
    },

    listNamespaces() {
      try {
        return readdirSync(NETNS_DIR).filter((n) => ours.test(n));
      } catch {
        return [];
      }
    },
  };
}

/** What `attach` keeps per namespace so that DEL runs as ADD did, even after an agent restart. */
interface AttachmentRecord {
  instanceId: string;
  network: string;
  config: CniNetworkConfig;
  portMappings: PortMapping[];
  /** Undefined until every plugin's ADD passed (write-ahead). */
  result: unknown;
}

/** Every readable network config of `dir` (file-name order), and what could not be read, with why. */
function readNetworkConfigs(dir: string): { networks: CniNetworkConfig[]; unreadable: string[] } {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
  } catch {
    return { networks: [], unreadable: [] };
  }
  const networks: CniNetworkConfig[] = [];
  const unreadable: string[] = [];
  for (const file of files) {
    try {
      networks.push(parseNetworkConfig(readFileSync(join(dir, file), "utf8"), file.endsWith(".conflist")));
    } catch (err) {
      unreadable.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { networks, unreadable };
}

/** A `.conflist`, or a single plugin's `.conf` made a list of one (libcni's ConfListFromConf). */
function parseNetworkConfig(text: string, isList: boolean): CniNetworkConfig {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (typeof raw !== "object" || raw === null) throw new Error("not a JSON object");
  if (typeof raw.name !== "string" || raw.name === "") throw new Error(`"name" must be a non-empty string`);
  const cniVersion = typeof raw.cniVersion === "string" ? raw.cniVersion : "0.2.0";
  const plugins = isList ? raw.plugins : [raw];
  if (!Array.isArray(plugins) || plugins.length === 0) throw new Error(`"plugins" must be a non-empty list`);
  plugins.forEach((p, i) => {
    if (typeof p !== "object" || p === null || typeof (p as CniPluginConfig).type !== "string" || !/^[\w.-]+$/.test((p as CniPluginConfig).type)) {
      throw new Error(`plugins[${i}].type must name a plugin binary`);
    }
  });
  return { cniVersion, name: raw.name, plugins: plugins as CniPluginConfig[] };
}

type PluginOutcome = { ok: true; result: unknown } | { ok: false; message: string };

/**
 * Runs plugin `index` of `config` once, as the CNI spec's runtime does: its config on stdin, the
 * CNI_* variables in its environment, killed past PLUGIN_TIMEOUT_MS. A non-zero exit, or a JSON
 * error (`{code, msg, details}`) even with exit 0, is a failure carrying the plugin's message,
 * details and stderr.
 */
async function execPlugin(
  command: "ADD" | "DEL",
  config: CniNetworkConfig,
  index: number,
  context: { pluginDirs: string[]; instanceId: string; netnsPath: string; portMappings: PortMapping[]; prevResult: unknown },
): Promise<PluginOutcome> {
  const plugin = config.plugins[index]!;
  const binary = findPlugin(plugin.type, context.pluginDirs);
  if (binary === undefined) return { ok: false, message: `plugin binary "${plugin.type}" not found in ${context.pluginDirs.join(", ")}` };
  const stdin: Record<string, unknown> = { ...plugin, name: config.name, cniVersion: config.cniVersion };
  if (context.prevResult !== undefined) stdin.prevResult = context.prevResult;
  if (plugin.capabilities?.portMappings === true) {
    const given = typeof plugin.runtimeConfig === "object" && plugin.runtimeConfig !== null ? plugin.runtimeConfig : {};
    stdin.runtimeConfig = { ...given, portMappings: context.portMappings.map(({ hostPort, containerPort, protocol }) => ({ hostPort, containerPort, protocol })) };
  }
  const env = {
    ...process.env,
    PATH: process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: context.instanceId,
    CNI_NETNS: context.netnsPath,
    CNI_IFNAME: IFNAME,
    CNI_ARGS: "",
    CNI_PATH: context.pluginDirs.join(":"),
  };
  const run = await runWithDeadline(binary, [], env, JSON.stringify(stdin), PLUGIN_TIMEOUT_MS);
  if (run.timedOut) return { ok: false, message: `${command} timed out after ${PLUGIN_TIMEOUT_MS} ms${stderrNote(run.stderr)}` };
  let output: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = run.stdout.trim() === "" ? undefined : JSON.parse(run.stdout);
    if (typeof parsed === "object" && parsed !== null) output = parsed as Record<string, unknown>;
  } catch {
    // not JSON: reported below with the raw output when it matters
  }
  if (output !== undefined && typeof output.code === "number" && output.code !== 0) {
    const details = typeof output.details === "string" && output.details !== "" ? `: ${output.details}` : "";
    return { ok: false, message: `${String(output.msg)}${details} (CNI error ${output.code}${run.code === 0 ? "" : `, exit ${run.code ?? run.signal}`})${stderrNote(run.stderr)}` };
  }
  if (run.code !== 0) return { ok: false, message: `exited with ${run.code ?? run.signal}${run.stdout.trim() === "" ? "" : `: ${clip(run.stdout)}`}${stderrNote(run.stderr)}` };
  if (command === "DEL") return { ok: true, result: undefined };
  if (output === undefined) return { ok: false, message: `printed no JSON result: ${JSON.stringify(clip(run.stdout))}${stderrNote(run.stderr)}` };
  return { ok: true, result: output };
}

function findPlugin(type: string, dirs: string[]): string | undefined {
  for (const dir of dirs) {
    const file = join(dir, type);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const clip = (text: string) => (text.length > 2000 ? `…${text.slice(-2000)}` : text).trim();
const stderrNote = (stderr: string) => (stderr.trim() === "" ? "" : `; stderr: ${clip(stderr)}`);

/** The pod's IPv4 address: the one on the sandbox's eth0, else the first IPv4 of the result (any spec version). */
function podIPv4(result: unknown, netnsPath: string): string | undefined {
  const r = result as { interfaces?: { name?: string; sandbox?: string }[]; ips?: { address?: string; interface?: number }[]; ip4?: { ip?: string } } | undefined;
  if (r === undefined || r === null) return undefined;
  const inPod = (r.interfaces ?? []).findIndex((i) => i.name === IFNAME && i.sandbox === netnsPath);
  const v4 = (r.ips ?? []).map((ip) => ({ address: (ip.address ?? "").split("/")[0]!, interface: ip.interface })).filter((ip) => isIPv4(ip.address));
  const chosen = v4.find((ip) => ip.interface === inPod) ?? v4[0];
  if (chosen) return chosen.address;
  const legacy = r.ip4?.ip?.split("/")[0];
  return legacy !== undefined && isIPv4(legacy) ? legacy : undefined;
}

function cniVersionAtLeast(version: string, minimum: [number, number, number]): boolean {
  const parts = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const v = parts[i] ?? 0;
    if (v !== minimum[i]) return v > minimum[i]!;
  }
  return true;
}

async function ip(args: string[]): Promise<void> {
  const run = await runWithDeadline("ip", args, process.env, undefined, IP_TIMEOUT_MS);
  if (run.timedOut) throw new Error(`ip ${args.join(" ")} timed out after ${IP_TIMEOUT_MS} ms`);
  if (run.code !== 0) throw new Error(`ip ${args.join(" ")} exited with ${run.code ?? run.signal}: ${clip(run.stderr)}`);
}

interface ChildRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a program to its end, or SIGKILLs it at the deadline; never rejects (a spawn failure is exit 127). */
function runWithDeadline(file: string, args: string[], env: NodeJS.ProcessEnv, stdin: string | undefined, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: 127, signal: null, stdout, stderr: `${stderr}${err.message}`, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A plugin that exits before reading its config closes the pipe: that is its exit to report, not an EPIPE crash.
    child.stdin.on("error", () => {});
    child.stdin.end(stdin ?? "");
  });
}
