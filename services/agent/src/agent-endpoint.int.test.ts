/**
 * The agent's gRPC endpoint (exec) against real NATS, real processes and (as root) real cgroups:
 * an agent with a fake scheduler runs a `sleep` task, and exec sessions into it are opened with
 * tickets signed here the way the gateway signs them (jose, Ed25519).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { agentV1Service, schedulerV1Model } from "@gantry/proto";
import { pushable } from "@gantry/platform/async";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createGrpcClient, type GrpcClient } from "@gantry/platform/grpc";
import { createLogger } from "@gantry/platform/logging";
import { eventually, leftoverAgentCgroupDirs, taskMemoryProcsFile } from "@gantry/test/support";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent, type RunningAgent } from "./agent-service.ts";
import { probeMachine } from "./adapters/machine-probe.ts";
import type { AgentOptions } from "./domain/index.ts";
import { closeFakeCluster, killCommand, launchCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const isRoot = process.getuid?.() === 0;
const cgroups = isRoot ? probeMachine().cgroups : undefined;
const logger = createLogger("agent-endpoint-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });

type Request = agentV1Service.ExecRequest["message"];
type Response = agentV1Service.ExecResponse;


/** Everything a session answered: its output, exit, and the error it failed with (if any). */
interface SessionResult {
  started?: agentV1Service.ExecStarted;
  stdout: string;
  stderr: string;
  exit?: agentV1Service.ExecExited;
  error?: Error & { code?: string };
}

async function collect(responses: AsyncIterable<Response>, onOutput?: (text: string, all: string) => void): Promise<SessionResult> {
  const r: SessionResult = { stdout: "", stderr: "" };
  try {
    for await (const m of responses) {
      if (m.message.case === "started") r.started = m.message.value;
      else if (m.message.case === "stdout") {
        const text = Buffer.from(m.message.value).toString();
        r.stdout += text;
        onOutput?.(text, r.stdout);
      } else if (m.message.case === "stderr") r.stderr += Buffer.from(m.message.value).toString();
      else if (m.message.case === "exited") r.exit = m.message.value;
    }
  } catch (err) {
    r.error = err as SessionResult["error"];
  }
  return r;
}

let bus: Bus;
let scheduler: FakeScheduler;
let agent: RunningAgent;
let opts: AgentOptions;
let privateKey: KeyObject;
let client: GrpcClient<typeof agentV1Service.AgentService>;
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-endpoint-"));
const agentId = `t-exec-${randomBytes(3).toString("hex")}`;
const taskId = `test_exec.${randomUUID()}`;

interface TicketInit {
  task?: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  aud?: string;
  key?: KeyObject;
  ttl?: string;
  jti?: string;
}

function ticket(t: TicketInit): Promise<string> {
  return new SignJWT({ task: t.task ?? taskId, app: "/exec-test", cmd: t.cmd, tty: t.tty ?? false, stdin: t.stdin ?? false })
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuer("gantry-gateway")
    .setSubject("alice")
    .setAudience(t.aud ?? agentId)
    .setJti(t.jti ?? randomUUID())
    .setIssuedAt()
    .setExpirationTime(t.ttl ?? "60s")
    .sign(t.key ?? privateKey);
}

/** Opens a session with a ticket for exactly what it asks, unless `token` is given. */
async function exec(start: { cmd: string[]; tty?: boolean; stdin?: boolean; columns?: number; rows?: number }, options: { token?: string; signal?: AbortSignal; onOutput?: (text: string, all: string) => void } = {}) {
  const token = options.token ?? (await ticket({ cmd: start.cmd, tty: start.tty ?? false, stdin: start.stdin ?? false }));
  const requests = pushable<{ message: Request }>();
  requests.push({ message: { case: "start", value: { taskId, command: start.cmd, tty: start.tty ?? false, stdin: start.stdin ?? false, size: { columns: start.columns ?? 80, rows: start.rows ?? 24 } } as agentV1Service.ExecStart } });
  const result = collect(client.exec(requests, { metadata: { authorization: `Bearer ${token}` }, ...(options.signal ? { signal: options.signal } : {}) }), options.onOutput);
  return { requests, result };
}

const cgroupProcs = () => (cgroups ? readFileSync(taskMemoryProcsFile(cgroups, agentId, taskId), "utf8").split("\n").filter((l) => l !== "") : []);

before(async () => {
  bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(`t-agentep-${randomBytes(4).toString("hex")}`), "agent-endpoint-test");
  scheduler = await startFakeScheduler(bus, { logger });
  const pair = generateKeyPairSync("ed25519");
  privateKey = pair.privateKey;
  opts = compileAgentOptions({ agentId, workDir, cpus: 2, mem: 1024, disk: 1024, isolation: isRoot ? "cgroups" : "none", grpcListen: "127.0.0.1:0" });
  agent = await startAgent(opts, { bus, logger, execTicketKey: pair.publicKey });
  await agent.registered;
  scheduler.send(agentId, 0n, launchCommand(taskId, { cmd: "sleep 1000", cpus: 0.1, mem: 64, env: { GREETING: "from-the-task" } }));
  await scheduler.waitForState(taskId, TaskState.RUNNING);
  const endpoint = scheduler.registrations.find((r) => r.agentId === agentId)!.grpcEndpoint;
  client = createGrpcClient(agentV1Service.AgentService, endpoint, { deadlineMs: 30_000 });
});

after(async () => {
  client?.close();
  scheduler.send(agentId, 0n, killCommand(taskId));
  await agent?.stop({ killTasks: true });
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  if (cgroups) assert.deepEqual(leftoverAgentCgroupDirs(cgroups, agentId), [], "cgroups left behind");
});

describe("agent endpoint: exec", () => {
  it("advertises its endpoint at registration", () => {
    const reg = scheduler.registrations.find((r) => r.agentId === agentId);
    assert.match(reg?.grpcEndpoint ?? "", /^127\.0\.0\.1:\d+$/);
  });

  it("runs a command in the task's sandbox, environment and cgroups, output only, with its exit code", async () => {
    const { result } = await exec({ cmd: ["sh", "-c", "pwd; echo $GREETING; cat /proc/self/cgroup; echo oops >&2; exit 3"] });
    const r = await result;
    assert.equal(r.error, undefined);
    assert.equal(r.started?.taskId, taskId);
    assert.equal(r.exit?.exitCode, 3);
    const [pwd, greeting] = r.stdout.split("\n");
    assert.equal(pwd, join(workDir, "sandboxes", taskId));
    assert.equal(greeting, "from-the-task");
    if (cgroups) assert.match(r.stdout, new RegExp(`/gantry/${agentId}/${taskId.replace(".", "\\.")}`), "the exec joined the task's cgroups");
    assert.equal(r.stderr, "oops\n");
  });

  it("streams stdin (-i) to the command until the client closes it", async () => {
    const { requests, result } = await exec({ cmd: ["cat"], stdin: true });
    requests.push({ message: { case: "stdin", value: Buffer.from("hello ") } });
    requests.push({ message: { case: "stdin", value: Buffer.from("world") } });
    requests.push({ message: { case: "closeStdin", value: true } });
    const r = await result;
    assert.equal(r.stdout, "hello world");
    assert.equal(r.exit?.exitCode, 0);
  });

  it("gives a PTY (-t) of the asked size, follows resizes, and reports 128+signal for a killed command", async () => {
    let resized = false;
    const { requests, result } = await exec({ cmd: ["sh", "-c", "stty size; read x; stty size; kill -9 $$"], tty: true, stdin: true, columns: 100, rows: 30 }, {
      onOutput: (_text, all) => {
        if (!resized && all.includes("30 100")) {
          resized = true;
          requests.push({ message: { case: "resize", value: { columns: 132, rows: 43 } as agentV1Service.TerminalSize } });
          requests.push({ message: { case: "stdin", value: Buffer.from("go\r") } });
        }
      },
    });
    const r = await result;
    assert.match(r.stdout, /30 100\r\n/);
    assert.match(r.stdout, /43 132\r\n/);
    assert.equal(r.exit?.exitCode, 137);
    assert.equal(r.exit?.signal, "SIGKILL");
  });

  it("runs several sessions into one task at once", async () => {
    const sessions = await Promise.all([1, 2, 3].map((n) => exec({ cmd: ["sh", "-c", `sleep 0.3; echo session-${n}`] })));
    const results = await Promise.all(sessions.map((s) => s.result));
    assert.deepEqual(results.map((r) => r.stdout), ["session-1\n", "session-2\n", "session-3\n"]);
  });

  it("kills the session's processes when the client goes away mid-session", async () => {
    const before = cgroupProcs().length;
    const abort = new AbortController();
    const { result } = await exec({ cmd: ["sh", "-c", "sleep 1000 & sleep 1000; wait"], tty: false }, { signal: abort.signal });
    if (cgroups) await eventually("the exec's processes in the task's cgroup", () => cgroupProcs().length >= before + 3, 10_000, 50);
    abort.abort();
    const r = await result;
    assert.ok(r.error, "the cancelled call fails");
    if (cgroups) await eventually("the exec's processes gone", () => cgroupProcs().length === before, 10_000, 50);
    assert.ok(agent.runningTaskIds().includes(taskId), "the task itself still runs");
  });

  it("refuses calls without a valid ticket, a replayed ticket, and a start that differs from its ticket", async () => {
    const cmd = ["true"];
    const noTicket = await (await exec({ cmd }, { token: "gty_not-a-ticket.x" })).result;
    assert.equal(noTicket.error?.code, "Unauthenticated");
    const otherAgent = await (await exec({ cmd }, { token: await ticket({ cmd, aud: "another-agent" }) })).result;
    assert.equal(otherAgent.error?.code, "Unauthenticated");
    const forged = await (await exec({ cmd }, { token: await ticket({ cmd, key: generateKeyPairSync("ed25519").privateKey }) })).result;
    assert.equal(forged.error?.code, "Unauthenticated");
    const expired = await (await exec({ cmd }, { token: await ticket({ cmd, ttl: "-1s" }) })).result;
    assert.equal(expired.error?.code, "Unauthenticated");
    const otherCommand = await (await exec({ cmd: ["sh", "-c", "id"] }, { token: await ticket({ cmd }) })).result;
    assert.equal(otherCommand.error?.code, "PermissionDenied");
    const once = await ticket({ cmd });
    assert.equal((await (await exec({ cmd }, { token: once })).result).exit?.exitCode, 0);
    const replay = await (await exec({ cmd }, { token: once })).result;
    assert.equal(replay.error?.code, "Unauthenticated");
  });

  it("refuses an exec into a task it does not run", async () => {
    const cmd = ["true"];
    const other = `test_exec.${randomUUID()}`;
    const requests = pushable<{ message: Request }>();
    requests.push({ message: { case: "start", value: { taskId: other, command: cmd, tty: false, stdin: false } as agentV1Service.ExecStart } });
    const r = await collect(client.exec(requests, { metadata: { authorization: `Bearer ${await ticket({ cmd, task: other })}` } }));
    assert.equal(r.error?.code, "NotFound");
  });
});
