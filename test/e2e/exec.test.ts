/**
 * `gantry task exec` / `gantry pod exec` end to end: the real CLI → the gateway (authentication,
 * `gantry:tasks:exec` on the app's path, the audit log) → the task's agent (its gRPC endpoint,
 * an exec ticket) → a process in the task's world, on a single-node cluster with real processes,
 * cgroups and (for the pod) a network namespace set up through CNI.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { registryV1Iam } from "@gantry/proto";
import { createGrpcClient } from "@gantry/platform";
import { eventually, marathonHttp, pidsOfTask, runGantry, startHarnessCluster, withPostgresClient, type HarnessCluster, type Json } from "../support/index.ts";

const GANTRY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../packages/cli/bin/gantry.js");
const isRoot = process.getuid?.() === 0;
const BRIDGE = "gantry0";

let cluster: HarnessCluster;
let bridgeExisted = false;
const scratch = mkdtempSync(path.join(tmpdir(), "gantry-exec-e2e-"));
const { api } = marathonHttp(() => cluster);
const gantry = (args: string[], stdin?: string, env: NodeJS.ProcessEnv = cluster.clientEnv) => runGantry(args, env, stdin);

before(async () => {
  bridgeExisted = existsSync(`/sys/class/net/${BRIDGE}`);
  cluster = await startHarnessCluster({ prefix: "exec" });
});

after(async () => {
  try {
    execFileSync("tmux", ["kill-server"], { env: { ...process.env, TMUX_TMPDIR: scratch }, stdio: "ignore" });
  } catch {
    // no server was left
  }
  await cluster?.destroy();
  rmSync(scratch, { recursive: true, force: true });
  if (!bridgeExisted && existsSync(`/sys/class/net/${BRIDGE}`)) execFileSync("ip", ["link", "del", BRIDGE]);
});

/** The live tasks of `appId` once `count` of them run. */
async function running(appId: string, count: number): Promise<Json[]> {
  return eventually(`${count} running tasks of ${appId}`, async () => {
    const tasks = ((await api("GET", `/v2/apps${appId}/tasks`)).json.tasks ?? []) as Json[];
    const up = tasks.filter((t) => t.state === "TASK_RUNNING");
    return up.length === count ? up : undefined;
  }, 30_000);
}

/** The events recorded on `exec-*` and `denials-*` streams, oldest first. */
function auditEvents(): Promise<{ type: string; data: Json; principal: string }[]> {
  return withPostgresClient(cluster.databaseUrl, async (c) => {
    const r = await c.query("SELECT event_type, data, metadata FROM events WHERE stream_id LIKE 'exec-%' OR stream_id LIKE 'denials-%' ORDER BY global_position");
    return r.rows.map((row) => ({ type: row.event_type as string, data: row.data as Json, principal: (row.metadata as Json | null)?.principal as string }));
  });
}

let taskId = "";
let bobToken = "";

/** A WebSocket exec session: everything it received as text, and how it closed. */
function openWebSocket(query: string, token: string) {
  const url = `${cluster.url.replace(/^http/, "ws")}/v2/tasks/${encodeURIComponent(taskId)}/exec?${query}`;
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  let output = "";
  socket.on("message", (data: Buffer) => (output += data.toString("utf8")));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return { socket, opened, closed, output: () => output };
}

test("exec into an app's task: cat /proc/self/cgroup shows the task's cgroups; the exit code is the CLI's; each session is audited", async () => {
  assert.equal((await api("POST", "/v2/apps", { body: { id: "/e2e/exec/shell", cmd: "sleep 1000", cpus: 0.05, mem: 32, instances: 1, env: { FROM_TASK: "yes" } } })).status, 201);
  const [task] = await running("/e2e/exec/shell", 1);
  taskId = task!.id as string;
  const partial = taskId.slice(taskId.indexOf(".") + 1, taskId.indexOf(".") + 9);
  const r = await gantry(["task", "exec", partial, "--", "cat", "/proc/self/cgroup"]);
  assert.equal(r.code, 0, r.stderr);
  const [pid] = await pidsOfTask(taskId);
  const taskCgroups = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  {
    assert.ok(isRoot, "needs root (cgroups)");
    assert.match(r.stdout, new RegExp(`/gantry/${cluster.agentId}/${taskId.replace(".", "\\.")}`), r.stdout);
    // Every hierarchy the task is in limited by Gantry, the exec is in too.
    for (const line of taskCgroups.split("\n").filter((l) => l.includes(`/gantry/${cluster.agentId}/`))) assert.ok(r.stdout.includes(line), `${line} in ${r.stdout}`);
  }
  const env = await gantry(["task", "exec", taskId, "--", "sh", "-c", 'echo "$FROM_TASK $(pwd)"; exit 7']);
  assert.equal(env.code, 7, env.stderr);
  assert.match(env.stdout, new RegExp(`^yes /.*/sandboxes/${taskId.replace(".", "\\.")}\\n$`));
  const events = await auditEvents();
  const ended = events.filter((e) => e.type === "ExecSessionEnded" && e.data.taskId === taskId);
  assert.deepEqual(ended.map((e) => e.data.exitCode ?? 0).sort(), [0, 7]);
  const started = events.filter((e) => e.type === "ExecSessionStarted" && e.data.taskId === taskId);
  assert.equal(started.length, 2);
  assert.deepEqual(started.map((e) => [e.principal, e.data.principal, e.data.appId]), [["admin", "admin", "/e2e/exec/shell"], ["admin", "admin", "/e2e/exec/shell"]]);
  assert.deepEqual(started[1]!.data.command, ["sh", "-c", 'echo "$FROM_TASK $(pwd)"; exit 7']);
});

test("stdin piped through -i reaches the command; a partial id matching several tasks is refused naming them", async () => {
  const piped = await gantry(["task", "exec", "-i", taskId, "--", "sh", "-c", "tr a-z A-Z; exit 3"], "hello through stdin\n");
  assert.equal(piped.code, 3, piped.stderr);
  assert.equal(piped.stdout, "HELLO THROUGH STDIN\n");
  assert.equal((await api("POST", "/v2/apps", { body: { id: "/e2e/exec/twins", cmd: "sleep 1000", cpus: 0.05, mem: 16, instances: 2 } })).status, 201);
  const twins = await running("/e2e/exec/twins", 2);
  const ambiguous = await gantry(["task", "exec", "e2e_exec_twins", "--", "true"]);
  assert.equal(ambiguous.code, 2, ambiguous.stderr);
  for (const t of twins) assert.ok(ambiguous.stderr.includes(t.id as string), ambiguous.stderr);
  const none = await gantry(["task", "exec", "no-such-task", "--", "true"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no running task matches "no-such-task"/);
});

test("kill -9 of the CLI mid-session: the gateway and the agent end the session, the command is killed, the end is recorded as cut", async () => {
  const cli = spawn(process.execPath, [GANTRY_BIN, "task", "exec", taskId, "--", "sleep", "4321"], { env: cluster.clientEnv, stdio: "ignore" });
  const sleeper = async () => {
    for (const pid of await pidsOfTask(taskId)) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\u00004321\u0000") return pid;
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  };
  const pid = await eventually("the exec's command running in the task", sleeper, 20_000, 50);
  cli.kill("SIGKILL");
  await eventually("the exec's command killed", async () => ((await sleeper()) === undefined ? true : undefined), 20_000, 100);
  assert.equal(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep"), false);
  const ended = await eventually("the cut session's end recorded", async () => (await auditEvents()).find((e) => e.type === "ExecSessionEnded" && e.data.taskId === taskId && e.data.exitCode === -1), 20_000, 100);
  assert.equal(ended.data.reason, "client closed");
  assert.ok(cluster.agentId && (await pidsOfTask(taskId)).length > 0, "the task itself still runs");
});

test("an interactive -i -t shell driven through tmux: runs a command, follows a resize, exits with the chosen code", async () => {
  const tmux = (...args: string[]) => execFileSync("tmux", args, { env: { ...process.env, TMUX_TMPDIR: scratch }, encoding: "utf8" });
  const exitFile = path.join(scratch, "exit-code");
  const envs = Object.entries({ GANTRY_URL: cluster.url, GANTRY_TOKEN: cluster.token, GANTRY_HOME: cluster.gantryHome, GANTRY_CLUSTER: cluster.cluster, TERM: "xterm" }).map(([k, v]) => `${k}='${v}'`).join(" ");
  tmux("new-session", "-d", "-s", "exec", "-x", "120", "-y", "40", `env ${envs} ${process.execPath} ${GANTRY_BIN} task exec -i -t ${taskId} -- /bin/sh; echo $? > ${exitFile}; sleep 60`);
  const screen = () => tmux("capture-pane", "-p", "-t", "exec");
  // capture-pane trims trailing blanks: the prompt `# ` reads `#`.
  await eventually("the remote shell's prompt", () => /[#$]$/m.test(screen()) || undefined, 20_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; the screen:\n${screen()}`);
  });
  tmux("send-keys", "-t", "exec", "echo in-$FROM_TASK; stty size", "Enter");
  await eventually("the command's output and the terminal's size", () => (screen().includes("in-yes") && screen().includes("40 120")) || undefined, 10_000, 100);
  tmux("resize-window", "-t", "exec", "-x", "100", "-y", "30");
  tmux("send-keys", "-t", "exec", "stty size", "Enter");
  await eventually("the new size", () => screen().includes("30 100") || undefined, 10_000, 100);
  tmux("send-keys", "-t", "exec", "exit 42", "Enter");
  await eventually("the CLI's exit code", () => (existsSync(exitFile) && readFileSync(exitFile, "utf8").trim()) || undefined, 10_000, 100);
  assert.equal(readFileSync(exitFile, "utf8").trim(), "42");
  tmux("kill-session", "-t", "exec");
});

test("a caller without gantry:tasks:exec on the app is refused, and the refusal is recorded", async () => {
  const iam = createGrpcClient(registryV1Iam.IamService, new URL(cluster.url).host, { token: cluster.token, deadlineMs: 10_000 });
  try {
    await iam.createUser({ name: "viewer-bob", password: "bob's password!" });
    await iam.grant({ holder: "viewer-bob", resourceId: "gantry:apps:/e2e", action: "read" });
    await iam.grant({ holder: "viewer-bob", resourceId: "gantry:tasks:exec:/e2e/exec/twins", action: "create" });
  } finally {
    iam.close();
  }
  const login = await fetch(`${cluster.url}/acs/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uid: "viewer-bob", password: "bob's password!" }) });
  const bob = ((await login.json()) as { token: string }).token;
  bobToken = bob;
  const refused = await gantry(["task", "exec", taskId, "--", "id"], undefined, { ...cluster.clientEnv, GANTRY_TOKEN: bob });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /may not create gantry:tasks:exec:\/e2e\/exec\/shell/);
  const denial = await eventually("the AccessDenied event", async () => (await auditEvents()).find((e) => e.type === "AccessDenied" && e.principal === "viewer-bob"), 10_000, 100);
  assert.deepEqual({ ...denial.data }, { principal: "viewer-bob", resourceId: "gantry:tasks:exec:/e2e/exec/shell", action: "create", method: "/gantry.agent.v1.AgentService/Exec" });
  assert.ok(!(await auditEvents()).some((e) => e.type === "ExecSessionStarted" && e.principal === "viewer-bob"), "no session was opened");
  // The same caller may exec where it was granted.
  const [twin] = await running("/e2e/exec/twins", 2);
  const allowed = await gantry(["task", "exec", twin!.id as string, "--", "true"], undefined, { ...cluster.clientEnv, GANTRY_TOKEN: bob });
  assert.equal(allowed.code, 0, allowed.stderr);
});

test("pod exec into a container of a pod on a container network: ip addr shows the pod's network namespace", async () => {
  assert.ok(isRoot && existsSync("/usr/lib/cni/bridge"), "needs root and CNI plugins (.ci/run installs them)");
  const pod: Json = { id: "/e2e/exec/pod", containers: [{ name: "box", resources: { cpus: 0.05, mem: 16 }, exec: { command: { shell: "sleep 1000" } } }], scaling: { kind: "fixed", instances: 1 }, networks: [{ name: "dcos", mode: "container" }] };
  assert.equal((await api("POST", "/v2/pods", { body: pod })).status, 201);
  const taskOf = await eventually("the pod's task running", async () => ((await api("GET", "/v2/tasks")).json.tasks as Json[]).find((t) => String(t.appId) === "/e2e/exec/pod" && t.state === "TASK_RUNNING"), 30_000, 200);
  const instance = String(taskOf.id).slice(0, -".box".length);
  const r = await gantry(["pod", "exec", instance.slice(-12), "box", "--", "ip", "-o", "-4", "addr"]);
  assert.equal(r.code, 0, r.stderr);
  // The task's own process: the one in the pod's network namespace (its launch wrapper stays in the agent's).
  const pid = (await pidsOfTask(String(taskOf.id))).find((p) => readlinkSync(`/proc/${p}/ns/net`) !== readlinkSync("/proc/self/ns/net"));
  assert.ok(pid, "the pod's task runs in a network namespace of its own");
  const inPod = execFileSync("nsenter", [`--net=/proc/${pid}/ns/net`, "ip", "-o", "-4", "addr"], { encoding: "utf8" });
  const addresses = (text: string) => [...text.matchAll(/inet (\S+)/g)].map((m) => m[1]).sort();
  assert.deepEqual(addresses(r.stdout), addresses(inPod));
  assert.notDeepEqual(addresses(r.stdout), addresses(execFileSync("ip", ["-o", "-4", "addr"], { encoding: "utf8" })));
  assert.equal((await api("DELETE", "/v2/pods/e2e/exec/pod")).status, 202);
});

test("the WebSocket at the gateway carries the same session (xterm.js attach: terminal data frames, a JSON resize), ending with the exit code", async () => {
  const ws = openWebSocket("cmd=/bin/sh&cols=90&rows=20", cluster.token);
  await ws.opened;
  ws.socket.send("echo ws-$FROM_TASK; stty size\r");
  await eventually("the output and the initial size", () => (ws.output().includes("ws-yes") && ws.output().includes("20 90")) || undefined, 10_000, 50);
  ws.socket.send(JSON.stringify({ resize: { cols: 70, rows: 10 } }));
  ws.socket.send(Buffer.from("stty size\r"), { binary: true });
  await eventually("the new size", () => ws.output().includes("10 70") || undefined, 10_000, 50);
  ws.socket.send("exit 9\r");
  const closed = await ws.closed;
  assert.deepEqual({ code: closed.code, exit: JSON.parse(closed.reason) }, { code: 1000, exit: { exitCode: 9, signal: "" } });
  const refused = openWebSocket("cmd=id", bobToken);
  const denied = await refused.closed;
  assert.equal(denied.code, 4403, denied.reason);
  assert.match(denied.reason, /may not create gantry:tasks:exec:\/e2e\/exec\/shell/);
});
