import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { infrastructureUrls } from "@gantry/platform";
import { eventually, marathonHttp, openSse, runGantry, startHarnessCluster, within, type HarnessCluster, type Json, type SseConnection } from "../support/index.ts";

// Marathon's event bus at /v2/events: server-sent events built from the relayed log, read by
// Marathon's own clients and resumable with Last-Event-ID.

let cluster: HarnessCluster;
const { api, settled } = marathonHttp(() => cluster);
const auth = () => ({ authorization: `Bearer ${cluster.token}` });

before(async () => {
  cluster = await startHarnessCluster({ prefix: "events" });
});

after(async () => {
  await cluster?.destroy();
});

const sleeper = (id: string, instances = 1): Json => ({ id, cmd: "sleep 1000", cpus: 0.05, mem: 16, instances });
const parsed = (c: SseConnection, type: string) => c.events.filter((e) => e.event === type).map((e) => JSON.parse(e.data) as Json);

test("marathon-event-bus-client (Marathon's npm client) receives a new app's status_update_events and its deployment's events", async () => {
  const require = createRequire(import.meta.url);
  const MarathonEventBusClient = require("marathon-event-bus-client") as new (options: Json) => Json;
  const url = new URL(cluster.url);
  const received: { type: string; data: Json }[] = [];
  const client = new MarathonEventBusClient({
    marathonHost: url.hostname,
    marathonPort: url.port,
    marathonHeaders: { Authorization: `Bearer ${cluster.token}` },
    eventTypes: ["status_update_event", "deployment_info", "deployment_success"],
    handlers: Object.fromEntries(["status_update_event", "deployment_info", "deployment_success"].map((t) => [t, (type: string, data: Json) => received.push({ type, data })])),
  });
  const subscribed = new Promise((resolve) => client.once("subscribed", resolve));
  client.subscribe();
  try {
    await eventually("the client subscribed", () => subscribed, 10_000);
    const created = await api("POST", "/v2/apps", { body: sleeper("/e2e/bus-client") });
    assert.equal(created.status, 201, created.text);
    const running = await eventually("a TASK_RUNNING status_update_event", async () =>
      received.find((r) => r.type === "status_update_event" && r.data.appId === "/e2e/bus-client" && r.data.taskStatus === "TASK_RUNNING")?.data,
    );
    const [task] = (await api("GET", "/v2/apps/e2e/bus-client/tasks")).json.tasks as Json[];
    assert.equal(running.taskId, task!.id);
    assert.equal(running.slaveId, task!.slaveId);
    assert.equal(running.host, task!.host);
    assert.equal(running.version, task!.version);
    const success = await eventually("deployment_success", async () => received.find((r) => r.type === "deployment_success" && r.data.id === created.headers.get("marathon-deployment-id"))?.data);
    assert.ok(Array.isArray(success.plan.steps) && success.plan.target, "a full plan, with the target group");
    assert.ok(received.some((r) => r.type === "deployment_info" && r.data.currentStep.actions[0].app === "/e2e/bus-client"));
  } finally {
    (client.unsubscribe as () => void)();
  }
  await settled("/e2e/bus-client");
  assert.equal((await api("DELETE", "/v2/apps/e2e/bus-client")).status, 200);
});

test("a client that reconnects with Last-Event-ID gets every event after its last one, none twice, as an unbroken connection saw them", async () => {
  const everything = await openSse(`${cluster.url}/v2/events?plan-format=light`, auth());
  const first = await openSse(`${cluster.url}/v2/events?plan-format=light`, auth());
  try {
    assert.equal(first.events[0]?.event ?? (await eventually("attached", async () => first.events[0]))?.event, "event_stream_attached");
    assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/resume-a", 2) })).status, 201);
    await eventually("/e2e/resume-a running, seen by the first connection", async () =>
      parsed(first, "status_update_event").filter((e) => e.appId === "/e2e/resume-a" && e.taskStatus === "TASK_RUNNING").length === 2 ? true : undefined,
    );
    first.close();
    const resumeFrom = first.lastEventId();
    assert.ok(resumeFrom, "events carry ids");
    // Events happen while no connection is open.
    assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/resume-b", 2) })).status, 201);
    await settled("/e2e/resume-b");
    const second = await openSse(`${cluster.url}/v2/events?plan-format=light`, auth(), resumeFrom);
    try {
      await eventually("the second connection caught up with the unbroken one", async () => {
        const last = everything.events.at(-1)?.id;
        return last !== undefined && second.events.some((e) => e.id === last) ? true : undefined;
      }, 30_000);
      const ids = (c: SseConnection) => c.events.filter((e) => e.id !== undefined).map((e) => `${e.id} ${e.event}`);
      const seen = [...ids(first), ...ids(second)];
      const reference = ids(everything);
      const start = reference.indexOf(seen[0]!);
      assert.ok(start >= 0, "the unbroken connection saw the first one's events");
      assert.deepEqual(seen, reference.slice(start), "the same events in the same order, none lost, none twice");
      assert.ok(parsed(second, "status_update_event").some((e) => e.appId === "/e2e/resume-b" && e.taskStatus === "TASK_RUNNING"), "what happened while disconnected arrived");
      assert.equal(second.events.some((e) => e.event === "event_stream_attached"), true);
    } finally {
      second.close();
    }
  } finally {
    everything.close();
    first.close();
  }
  for (const id of ["/e2e/resume-a", "/e2e/resume-b"]) assert.equal((await api("DELETE", `/v2/apps${id}`)).status, 200);
});

test("event_type keeps only the types asked for; an anonymous caller is refused", async () => {
  const only = await openSse(`${cluster.url}/v2/events?event_type=deployment_success`, auth());
  try {
    assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/filtered") })).status, 201);
    await eventually("deployment_success", async () => (only.events.some((e) => e.event === "deployment_success") ? true : undefined), 30_000);
    assert.deepEqual([...new Set(only.events.map((e) => e.event))], ["deployment_success"]);
  } finally {
    only.close();
  }
  const anonymous = await fetch(`${cluster.url}/v2/events`, { headers: { accept: "text/event-stream" } });
  assert.equal(anonymous.status, 401);
  await settled("/e2e/filtered");
  assert.equal((await api("DELETE", "/v2/apps/e2e/filtered")).status, 200);
});

const SUBSCRIBER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/event-subscribers/subscribe.py");

/** Runs the Python example subscriber until it printed `count` events (or 30 s pass); its JSON lines. */
async function pythonSubscriber(args: string[], count: number, started?: () => Promise<unknown>): Promise<Json[]> {
  const child = spawn("python3", [SUBSCRIBER, "--nats", infrastructureUrls().natsUrl, "--cluster", cluster.cluster, "--count", String(count), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let following: () => void = () => {};
  const followed = new Promise<void>((resolve) => (following = resolve));
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
    if (stderr.includes("following ")) following();
  });
  // "close", not "exit": every byte it wrote (its "following", its events) has been read by then.
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    // Events made before its consumer exists are not its: act once it says it follows.
    await within("the subscriber to say it follows the stream", Promise.race([followed, exited.then((code) => assert.fail(`the subscriber exited (${code}) before following: ${stderr}`))]), 30_000);
    await started?.();
    const code = await within(`the subscriber to print ${count} events`, exited, 30_000);
    assert.equal(code, 0, stderr);
    return stdout.trim().split("\n").map((l) => JSON.parse(l) as Json);
  } finally {
    child.kill();
  }
}

test("the Python example subscriber follows the log on JetStream in commit order, and resumes after a sequence with the very next event", async () => {
  const events = await pythonSubscriber(["--subject", "events.instance.>"], 4, async () => {
    assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/python", 2) })).status, 201);
  });
  assert.deepEqual(events.map((e) => e.type).slice(0, 2), ["InstancePlaced", "InstancePlaced"]);
  assert.ok(events.every((e) => e.data.appId === "/e2e/python" && e.subject === `${cluster.cluster}.events.instance.${e.type}`));
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i]!.sequence > events[i - 1]!.sequence, "stream sequence grows");
    assert.ok(BigInt(events[i]!.globalPosition) > BigInt(events[i - 1]!.globalPosition), "commit order");
  }
  const [resumed] = await pythonSubscriber(["--subject", "events.instance.>", "--after", String(events[0]!.sequence)], 1);
  assert.deepEqual(resumed, events[1]);
  await settled("/e2e/python");
  assert.equal((await api("DELETE", "/v2/apps/e2e/python")).status, 200);
});

test("gantry events tail prints the cluster's events as they happen, one line each", async () => {
  assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/tail", 0) })).status, 201);
  let done = false;
  const tail = runGantry(["events", "tail", "--type", "status_update_event", "--count", "1"], cluster.clientEnv).finally(() => (done = true));
  // Scale up one by one until the tail (connected by then) has seen a task's status.
  for (let n = 1; n <= 5 && !done; n++) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal((await api("PUT", "/v2/apps/e2e/tail?force=true", { body: { instances: n } })).status, 200);
  }
  const r = await tail;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\S+Z {2}status_update_event {2}\/e2e\/tail e2e_tail\.\S+ TASK_(STAGING|STARTING|RUNNING) on \S+/);
  const refused = await runGantry(["events", "tail", "--count", "1"], { ...cluster.clientEnv, GANTRY_TOKEN: "not-a-token" });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /HTTP 401/);
  assert.equal((await api("DELETE", "/v2/apps/e2e/tail")).status, 200);
});
