/**
 * infra/compose.yaml against the code it runs: each Gantry service's command parses with that
 * service's own option parser, every variable in its environment is one the code reads, its health
 * check probes what the process really serves, on the port it listens on, and the layout holds
 * what infra/README.md promises (two schedulers behind one name, the gateway on 8080, privileged
 * agents, durable PostgreSQL and JetStream, the signing key made at start and never in the file).
 */
import assert from "node:assert/strict";
import { globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { generateSigningKey, serviceEnvironment } from "@gantry/platform";
import { AGENT_FLAG_ENV_NAMES, AGENT_NODE_FLAGS, buildAgentOptions, parseAgentCommandLine, type MachineFacts } from "@gantry/agent";
import { parseProbeCommand, type ProbeCommand } from "./health/probe-command.ts";
import { compileLogsSettings } from "@gantry/logs";
import { METRICS_NODE_FLAGS } from "@gantry/metrics";

interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  networks?: string[] | Record<string, { aliases?: string[] }>;
  privileged?: boolean;
  user?: string;
}

const REPO = path.resolve(import.meta.dirname, "..");
const COMPOSE_FILE = path.join(import.meta.dirname, "compose.yaml");
const GANTRY_IMAGE = "gantry:dev";

// Merge keys (`<<: *gantry`) are how the file shares settings; Compose reads them the same way.
const compose = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const gantryServices = services.filter(([, s]) => s.image === GANTRY_IMAGE);
/** NATS's monitoring endpoint, where the agents' health checks look for their connections. */
const NATS_MONITOR_URL = `http://nats:${flagValue(compose.services.nats?.command ?? [], "-m")}/`;

/** What a Gantry process makes of its command line and environment. */
interface Process {
  /** Where it serves (gRPC or HTTP), when it serves anything. */
  listens?: { host: string; port: number };
  /** How it is seen healthy: the probe its health check must run. */
  health: (p: Process) => ProbeCommand | undefined;
  /** The name its NATS connection has (`<cluster>/<component>`, see connectBus). */
  natsConnection?: string;
}

/** A platform service's flags, read by serviceEnvironment (the key file is swapped for a readable one). */
async function platformService(args: string[], env: Record<string, string>, health: Process["health"]): Promise<Process> {
  const parsed = await serviceEnvironment(withKeyFile(args), 0, env);
  return { listens: { host: parsed.host, port: parsed.port }, health };
}

const grpcOnOwnPort: Process["health"] = (p) => ({ kind: "grpc", address: `127.0.0.1:${p.listens!.port}` });

/** A container running the agent: root on Linux, cgroup v2, the CNI plugins from the image. */
const CONTAINER: MachineFacts = {
  hostname: "agent-host",
  platform: "linux",
  isRoot: true,
  cpuCount: 16,
  totalMemBytes: 64 * 1024 ** 3,
  diskBytes: undefined,
  nvidiaGpus: undefined,
  cgroups: { version: 2, root: "/sys/fs/cgroup" },
  cniPluginDirs: ["/usr/lib/cni"],
  gantryHomeEnv: undefined,
  homeDir: "/root",
};

/** Each main.ts a compose service may run, read by the code that reads it in the process. */
const ENTRIES: Record<string, (args: string[], env: Record<string, string>) => Promise<Process>> = {
  "services/registry/src/main.ts": (args, env) => platformService(args, env, grpcOnOwnPort),
  "services/scheduler/src/main.ts": (args, env) => platformService(args, env, grpcOnOwnPort),
  // The logs service reads its own flags (--retention, --partition-interval) before the platform's.
  "services/logs/src/main.ts": (args, env) => platformService(compileLogsSettings(args, env.DATABASE_URL ?? "postgres://localhost/gantry", env).rest, env, grpcOnOwnPort),
  "services/metrics/src/main.ts": (args, env) => platformService(args, env, grpcOnOwnPort),
  // `/ping` is the gateway's one public path (no credentials), Marathon's liveness answer.
  "services/gateway/src/main.ts": (args, env) => platformService(args, env, (p) => ({ kind: "http", url: `http://127.0.0.1:${p.listens!.port}/ping` })),
  "services/agent/src/main.ts": async (args, env) => {
    const commandLine = parseAgentCommandLine(args, env);
    const compiled = buildAgentOptions(commandLine.raw, CONTAINER);
    assert.ok(compiled.ok, `agent options: ${JSON.stringify(!compiled.ok && compiled.violations)}`);
    assert.equal(compiled.options.isolation.kind, "cgroups", "an agent in a privileged container isolates its tasks");
    assert.equal(compiled.options.networks.kind, "cni", "an agent in the image has CNI for container networks");
    const cluster = commandLine.cluster ?? env.GANTRY_CLUSTER ?? "gantry";
    return {
      natsConnection: `${cluster}/agent/${compiled.options.agentId}`,
      health: (p) => ({ kind: "nats-client", monitorUrl: NATS_MONITOR_URL, connectionName: p.natsConnection! }),
    };
  },
};

let keyDir: string;
before(() => {
  keyDir = mkdtempSync(path.join(tmpdir(), "gantry-compose-test-"));
  writeFileSync(path.join(keyDir, "auth.key"), generateSigningKey().toString("base64"), { mode: 0o600 });
});
after(() => rmSync(keyDir, { recursive: true, force: true }));

/** The command line with `--auth-key-file` pointing at this test's key (the real one exists only in the volume). */
function withKeyFile(args: string[]): string[] {
  return args.map((a, i) => (args[i - 1] === "--auth-key-file" ? path.join(keyDir, "auth.key") : a));
}

function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** A `node [node flags] <entry> [args]` command line taken apart (entry undefined when there is none). */
function splitNodeCommand(command: readonly string[]): { program?: string; nodeFlags: string[]; entry?: string; args: string[] } {
  const [program, ...rest] = command;
  const at = rest.findIndex((a) => !a.startsWith("--"));
  return at < 0 ? { program, nodeFlags: rest, args: [] } : { program, nodeFlags: rest.slice(0, at), entry: rest[at], args: rest.slice(at + 1) };
}

/** A service's `node [node flags] <entry> [args]` command line, taken apart. */
function commandOf(name: string, service: ComposeService): { nodeFlags: string[]; entry: string; args: string[] } {
  const { program, nodeFlags, entry, args } = splitNodeCommand(service.command ?? []);
  assert.equal(program, "node", `${name}: runs node`);
  assert.ok(entry, `${name}: names the script node runs`);
  return { nodeFlags, entry, args };
}

/** The script a service's node runs (after Node's own flags); undefined for other programs. */
const entryOf = (service: ComposeService) => splitNodeCommand(service.command ?? []).entry;

async function processOf(name: string, service: ComposeService): Promise<Process> {
  const { entry, args } = commandOf(name, service);
  const read = ENTRIES[entry];
  assert.ok(read, `${name}: runs ${entry}, which this test does not know how to read (add it to ENTRIES)`);
  return read(args, service.environment ?? {});
}

/** The services that make the cluster's keys once and exit. */
const INIT_SERVICES = ["auth-key", "exec-key"];

/** Whether `service` waits for `dependency`, directly or through what it waits for. */
function startsAfter(service: ComposeService, dependency: string): boolean {
  return Object.keys(service.depends_on ?? {}).some((d) => d === dependency || startsAfter(compose.services[d]!, dependency));
}

function networksOf(service: ComposeService): string[] {
  const n = service.networks ?? ["default"];
  return Array.isArray(n) ? n : Object.keys(n);
}

function aliasesOf(service: ComposeService): string[] {
  return Array.isArray(service.networks) || !service.networks ? [] : Object.values(service.networks).flatMap((n) => n?.aliases ?? []);
}

/** The non-test TypeScript of the platform and of the service that `entry` belongs to. */
function sourcesOf(entry: string): string {
  const service = entry.split("/").slice(0, 2).join("/");
  return [...globSync("packages/platform/src/**/*.ts", { cwd: REPO }), ...globSync(`${service}/src/**/*.ts`, { cwd: REPO })]
    .filter((f) => !f.endsWith(".test.ts"))
    .map((f) => readFileSync(path.join(REPO, f), "utf8"))
    .join("\n");
}

/**
 * Whether the code reads `name`: `env.NAME`, `env["NAME"]` or a quoted "NAME" passed to a reader
 * (backticks do not count: that is how comments name variables). Variables have no declaration
 * to import, so this reads the sources; the agent's flag fallbacks come from its flag table.
 */
function codeReads(sources: string, name: string): boolean {
  return new RegExp(`\\benv\\.${name}\\b|["']${name}["']`).test(sources) || AGENT_FLAG_ENV_NAMES.includes(name);
}

describe("infra/compose.yaml: exec keys", () => {
  test("the exec key pair is made by its init service; only the gateway mounts the private key, the agents the public one", () => {
    const command = compose.services["exec-key"]!.command!;
    const [privateFile, publicFile] = command.slice(command.indexOf("ensure-exec") + 1);
    const mounts = (service: ComposeService) => (service.volumes ?? []).map((v) => v.split(":")[0]!);
    const gateway = compose.services.gateway!;
    assert.ok(privateFile && gateway.environment?.GANTRY_EXEC_KEY_FILE === privateFile, "the gateway reads the private key the init service made");
    for (const [name, service] of services) {
      if (name === "exec-key") continue;
      assert.equal(mounts(service).includes("exec-key"), name === "gateway", `${name}: ${name === "gateway" ? "mounts" : "does not mount"} the private key's volume`);
    }
    const agents = gantryServices.filter(([, s]) => entryOf(s) === "services/agent/src/main.ts");
    for (const [name, agent] of agents) {
      assert.equal(agent.environment?.GANTRY_AGENT_EXEC_KEY_FILE, publicFile, `${name}: checks tickets with the public key`);
      assert.ok(mounts(agent).includes("exec-public"), `${name}: mounts the public key's volume`);
      assert.ok(startsAfter(agent, "exec-key"), `${name}: starts after the key pair exists`);
    }
    assert.ok(startsAfter(gateway, "exec-key"), "the gateway starts after the key pair exists");
  });
});

describe("infra/compose.yaml", () => {
  test("the agents and the metrics service run with their own Node flags (heap sizes); the other services with Node's defaults", () => {
    for (const [name, service] of gantryServices.filter(([, s]) => s.healthcheck)) {
      const { entry, nodeFlags } = commandOf(name, service);
      const expected = entry === "services/agent/src/main.ts" ? AGENT_NODE_FLAGS : entry === "services/metrics/src/main.ts" ? METRICS_NODE_FLAGS : [];
      assert.deepEqual(nodeFlags, [...expected], `${name}: Node's flags`);
    }
  });

  test("every Gantry process runs a main.ts this test reads with the code's own parser, and its flags parse", async () => {
    const entries = gantryServices.filter(([, s]) => s.healthcheck).map(([name, s]) => commandOf(name, s).entry);
    assert.deepEqual([...new Set(entries)].sort(), Object.keys(ENTRIES).sort(), "every service process runs in the layout");
    for (const [name, service] of gantryServices.filter(([, s]) => s.healthcheck)) await processOf(name, service);
  });

  test("a flag the code does not have fails the parse (the check above can fail)", async () => {
    const [name, registry] = gantryServices.find(([, s]) => entryOf(s) === "services/registry/src/main.ts")!;
    await assert.rejects(processOf(name, { ...registry, command: [...registry.command!, "--no-such-flag"] }), /no-such-flag/);
    const [agentName, agent] = gantryServices.find(([, s]) => entryOf(s) === "services/agent/src/main.ts")!;
    await assert.rejects(processOf(agentName, { ...agent, command: [...agent.command!, "--no-such-flag"] }), /no-such-flag/);
  });

  test("every variable in a Gantry service's environment is one its code reads", () => {
    for (const [name, service] of gantryServices.filter(([, s]) => s.environment)) {
      const sources = sourcesOf(commandOf(name, service).entry);
      for (const variable of Object.keys(service.environment!)) assert.ok(codeReads(sources, variable), `${name}: nothing reads ${variable}`);
    }
    assert.equal(codeReads(sourcesOf("services/gateway/src/main.ts"), "GANTRY_NO_SUCH_VARIABLE"), false);
  });

  test("each health check probes what its process serves, where it listens", async () => {
    for (const [name, service] of gantryServices.filter(([, s]) => s.healthcheck)) {
      const [form, node, script, ...probeArgs] = service.healthcheck!.test;
      assert.deepEqual([form, node, script], ["CMD", "node", "infra/health/main.ts"], `${name}: the health check runs the probe`);
      const running = await processOf(name, service);
      assert.deepEqual(parseProbeCommand(probeArgs), running.health(running), `${name}: health check`);
      if (running.listens) assert.equal(running.listens.host, "0.0.0.0", `${name}: listens where other containers reach it`);
    }
  });

  test("every service restarts on failure, and waits for what it needs to be healthy (the init service to have finished)", () => {
    const isInit = (name: string) => INIT_SERVICES.includes(name);
    for (const [name, service] of services) {
      const init = isInit(name);
      assert.equal(service.restart, init ? "no" : "unless-stopped", `${name}: restart policy`);
      if (!init) assert.ok(service.healthcheck, `${name}: has a health check`);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.equal(condition, isInit(dependency) ? "service_completed_successfully" : "service_healthy", `${name} → ${dependency}`);
      }
    }
  });

  test("PostgreSQL commits synchronously and NATS runs JetStream, each on a volume", () => {
    const postgres = compose.services.postgres!;
    const nats = compose.services.nats!;
    assert.ok(postgres.command?.join(" ").includes("-c synchronous_commit=on"));
    assert.ok(postgres.volumes?.some((v) => v.endsWith(":/var/lib/postgresql/data")));
    const natsArgs = nats.command ?? [];
    assert.ok(natsArgs.includes("-js"));
    const storeDir = flagValue(natsArgs, "-sd");
    assert.ok(storeDir && nats.volumes?.some((v) => v.split(":")[1] === storeDir), "JetStream stores in a volume");
    assert.ok(flagValue(natsArgs, "-m"), "monitoring on for the health checks");
  });

  test("services find PostgreSQL, NATS, the registry and the schedulers by names the layout gives them", async () => {
    const processes = new Map<string, Process>();
    for (const [name, service] of gantryServices.filter(([, s]) => s.healthcheck)) processes.set(name, await processOf(name, service));
    const byName = (host: string) => services.filter(([name, s]) => name === host || aliasesOf(s).includes(host));
    for (const [name, service] of gantryServices) {
      const env = service.environment ?? {};
      if (env.DATABASE_URL) {
        assert.equal(new URL(env.DATABASE_URL).host, "postgres:5432", `${name}: DATABASE_URL`);
        assert.ok(networksOf(service).some((n) => networksOf(compose.services.postgres!).includes(n)), `${name} shares a network with postgres`);
      }
      if (env.NATS_URL) assert.equal(new URL(env.NATS_URL).host, "nats:4222", `${name}: NATS_URL`);
      for (const variable of ["GANTRY_REGISTRY_ADDRESS", "GANTRY_SCHEDULER_ADDRESS"]) {
        if (!env[variable]) continue;
        const [host, port] = env[variable].split(":");
        const targets = byName(host!);
        assert.ok(targets.length > 0, `${name}: ${variable} names ${host}, which no service answers to`);
        for (const [target] of targets) assert.equal(processes.get(target)?.listens?.port, Number(port), `${name}: ${variable} port is where ${target} listens`);
      }
    }
    const schedulers = byName(compose.services.gateway!.environment!.GANTRY_SCHEDULER_ADDRESS!.split(":")[0]!);
    assert.ok(schedulers.length >= 2 && schedulers.every(([, s]) => entryOf(s) === "services/scheduler/src/main.ts"), "two schedulers behind one name");
  });

  test("the gateway is published on 8080; the agents are privileged root; nothing but the agents is", async () => {
    const gateway = compose.services.gateway!;
    assert.deepEqual(gateway.ports, [`8080:${(await processOf("gateway", gateway)).listens!.port}`]);
    const agents = gantryServices.filter(([, s]) => entryOf(s) === "services/agent/src/main.ts");
    assert.equal(agents.length, 2);
    for (const [name, agent] of agents) {
      assert.equal(agent.privileged, true, `${name}: privileged (cgroups, network namespaces, iptables)`);
      assert.equal(agent.user, "root", `${name}: root`);
      assert.deepEqual(agent.entrypoint, ["/opt/gantry/infra/agent-entrypoint.sh"], `${name}: prepares cgroup v2 first`);
    }
    for (const [name, service] of services.filter(([, s]) => !agents.some(([, a]) => a === s))) assert.ok(!service.privileged && !service.user, `${name}: unprivileged`);
  });

  test("the signing key is made by the init service in a volume that every key reader mounts; no key is in the file", () => {
    const keyFile = flagValue(compose.services["auth-key"]!.command!, "ensure");
    assert.ok(keyFile, "auth-key ensures a key file");
    const volumeHolding = (service: ComposeService, file: string) =>
      service.volumes?.map((v) => v.split(":")).find(([, target]) => file.startsWith(`${target}/`))?.[0];
    const volume = volumeHolding(compose.services["auth-key"]!, keyFile);
    assert.ok(volume && volume in compose.volumes, "the key lives in a named volume");
    for (const [name, service] of gantryServices) {
      assert.ok(!service.environment?.GANTRY_AUTH_KEY, `${name}: no key in the environment`);
      const { args } = commandOf(name, service);
      const file = flagValue(args, "--auth-key-file");
      if (file === undefined) continue;
      assert.equal(file, keyFile, `${name}: reads the key auth-key made`);
      assert.equal(volumeHolding(service, file), volume, `${name}: mounts the key's volume`);
      assert.ok(startsAfter(service, "auth-key"), `${name}: starts after the key exists`);
    }
  });
});
