/**
 * The `gantry` command against a real control plane (no agent, so deployments stay running and
 * can be listed and cancelled): every command's text and `--json` output, file and stdin input,
 * exit codes, and round trips through scale, update, versions, restart, group dry runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { connect, headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { infrastructureUrls } from "@gantry/platform";
import { eventually, runGantry, startHarnessCluster, type CliResult, type HarnessCluster } from "../support/index.ts";

const taskHeader = (taskId: string) => {
  const h = headers();
  h.set("Gantry-Task-Id", taskId);
  return h;
};

let cluster: HarnessCluster;

before(async () => {
  cluster = await startHarnessCluster({ prefix: "cli", agent: false });
});

after(async () => {
  await cluster?.destroy();
});

/** Runs gantry and asserts it succeeded. */
async function ok(args: string[], stdin?: string): Promise<CliResult> {
  const r = await runGantry(args, cluster.clientEnv, stdin);
  assert.equal(r.code, 0, `gantry ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Runs gantry with --json and parses what it printed. */
async function json<T = Record<string, any>>(args: string[], stdin?: string): Promise<T> {
  const r = await ok([...args, "--json"], stdin);
  return JSON.parse(r.stdout) as T;
}

/** Writes a definition into the cluster's scratch directory and returns its path. */
async function file(name: string, definition: unknown): Promise<string> {
  const p = path.join(cluster.gantryHome, name);
  await writeFile(p, JSON.stringify(definition));
  return p;
}

/** The lines of a table: the header first, then the row whose first cell is `key`. */
function tableRow(stdout: string, key: string): { header: string; row: string } {
  const lines = stdout.trimEnd().split("\n");
  const row = lines.find((l) => l.split(/\s+/)[0] === key);
  assert.ok(row, `a row for ${key} in:\n${stdout}`);
  return { header: lines[0]!, row };
}

/** Asserts the value sits under the column header (aligned table). */
function assertColumn(table: { header: string; row: string }, column: string, value: string): void {
  const at = table.header.indexOf(column);
  assert.ok(at >= 0, `column ${column} in ${table.header}`);
  assert.equal(table.row.slice(at).split(/\s{2,}/)[0], value, `${column} of\n${table.header}\n${table.row}`);
}

const web = { id: "/cli/web", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 2, labels: { tier: "web" } };

describe("apps", () => {
  test("app add from a file prints the new version and deployment; --json prints the CreateAppResponse", async () => {
    const r = await ok(["app", "add", await file("web.json", web), "--detach"]);
    assert.match(r.stdout, /^created \/cli\/web \(deployment \S+, version \S+\)\n$/);

    const j = await json(["app", "add", await file("web-json.json", { ...web, id: "/cli/web-json" })]);
    assert.equal(j.app.id, "/cli/web-json");
    assert.equal(j.app.definition.cmd, "sleep 1000");
    assert.ok(j.deploymentId, "a deployment id");
    assert.ok(j.app.version, "a version");
  });

  test("app add reads the definition from stdin when the file is absent or -", async () => {
    await ok(["app", "add", "--detach"], JSON.stringify({ id: "/cli/stdin-a", cmd: "sleep 11", cpus: 0.1, mem: 16, instances: 0 }));
    await ok(["app", "add", "-", "--detach"], JSON.stringify({ id: "/cli/stdin-b", cmd: "sleep 12", cpus: 0.1, mem: 16, instances: 0 }));
    assert.equal((await json(["app", "show", "/cli/stdin-a"])).definition.cmd, "sleep 11");
    assert.equal((await json(["app", "show", "/cli/stdin-b"])).definition.cmd, "sleep 12");
  });

  test("app list prints an aligned table (ID, TASKS running/wanted, CPUS, MEM, VERSION, CMD); --json the ListAppsResponse", async () => {
    const r = await ok(["app", "list"]);
    const table = tableRow(r.stdout, "/cli/web");
    assert.match(table.header, /^ID\s+TASKS\s+CPUS\s+MEM\s+VERSION\s+CMD$/);
    assertColumn(table, "TASKS", "0/2");
    assertColumn(table, "CPUS", "0.1");
    assertColumn(table, "MEM", "32");
    assertColumn(table, "CMD", "sleep 1000");
    const version = (await json(["app", "show", "/cli/web"])).version as string;
    assertColumn(table, "VERSION", version);

    const j = await json<{ apps: { id: string }[] }>(["app", "list"]);
    assert.ok(j.apps.some((a) => a.id === "/cli/web"));
  });

  test("app list --id filters the apps listed", async () => {
    const j = await json<{ apps: { id: string }[] }>(["app", "list", "--id", "stdin"]);
    assert.deepEqual(j.apps.map((a) => a.id).sort(), ["/cli/stdin-a", "/cli/stdin-b"]);
  });

  test("app show prints the summary and the full definition; --json the stored AppVersion", async () => {
    const r = await ok(["app", "show", "/cli/web"]);
    assert.match(r.stdout, /^ID\s+\/cli\/web$/m);
    assert.match(r.stdout, /^INSTANCES\s+2$/m);
    assert.match(r.stdout, /^CMD\s+sleep 1000$/m);
    const definition = JSON.parse(r.stdout.slice(r.stdout.indexOf("definition:\n") + "definition:\n".length));
    assert.deepEqual(definition.labels, { tier: "web" });

    const j = await json(["app", "show", "/cli/web"]);
    assert.equal(j.id, "/cli/web");
    assert.equal(j.definition.instances, 2);
  });

  test("an invalid definition prints each bad field's path and exits 2", async () => {
    const r = await runGantry(["app", "add", "--detach"], cluster.clientEnv, JSON.stringify({ id: "/cli/bad", cmd: "x", cpus: -1, mem: 16 }));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: .+\n/);
    assert.match(r.stderr, /^ {2}\/cpus: .+$/m);
    assert.equal(r.stdout, "");
  });

  test("input the CLI cannot use exits 2: bad JSON, a non-object, a bad instance count; a missing app exits 1", async () => {
    const badJson = await runGantry(["app", "add", "--detach"], cluster.clientEnv, "{not json");
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /stdin is not valid JSON/);

    const array = await runGantry(["app", "add", await file("array.json", [web]), "--detach"], cluster.clientEnv);
    assert.equal(array.code, 2);
    assert.match(array.stderr, /must hold one JSON object/);

    const scale = await runGantry(["app", "scale", "/cli/web", "-1", "--detach"], cluster.clientEnv);
    assert.equal(scale.code, 2);
    assert.match(scale.stderr, /instances/);

    const missing = await runGantry(["app", "show", "/cli/missing"], cluster.clientEnv);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*\/cli\/missing/);
  });

  test("a change to an app under deployment fails without --force (exit 1) and goes through with it", async () => {
    // No agent: the add's deployment cannot finish, so it still runs.
    const refused = await runGantry(["app", "scale", "/cli/web", "3", "--detach"], cluster.clientEnv);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^error: /);
    assert.match(refused.stderr, /^hint: deployments \S+ are in the way; add --force to cancel them$/m);
    assert.equal((await json(["app", "show", "/cli/web"])).definition.instances, 2, "nothing changed");

    const r = await ok(["app", "scale", "/cli/web", "3", "--force", "--detach"]);
    assert.match(r.stdout, /^scaling to 3 instances: \/cli\/web \(deployment \S+, version \S+\)\n$/);
  });

  test("app scale changes only instances; --json prints the UpdateAppResponse", async () => {
    const j = await json(["app", "scale", "/cli/web", "4", "--force"]);
    assert.equal(j.app.definition.instances, 4);
    assert.ok(j.deploymentId);
    const shown = await json(["app", "show", "/cli/web"]);
    assert.equal(shown.definition.instances, 4);
    assert.equal(shown.definition.cmd, "sleep 1000");
    assert.deepEqual(shown.definition.labels, { tier: "web" });
  });

  test("app update --partial keeps the fields it leaves out; without it the definition is replaced", async () => {
    const patched = await ok(["app", "update", "/cli/web", "--partial", "--force", "--detach"], JSON.stringify({ mem: 64 }));
    assert.match(patched.stdout, /^updated \/cli\/web \(deployment \S+, version \S+\)\n$/);
    let shown = await json(["app", "show", "/cli/web"]);
    assert.equal(shown.definition.mem, 64);
    assert.equal(shown.definition.instances, 4);
    assert.deepEqual(shown.definition.labels, { tier: "web" });

    const replaced = await json(["app", "update", "/cli/web", await file("web-v2.json", { id: "/cli/web", cmd: "sleep 2000", cpus: 0.1, mem: 48, instances: 1 }), "--force"]);
    assert.equal(replaced.created, undefined, "not created: canonical JSON leaves false out");
    shown = await json(["app", "show", "/cli/web"]);
    assert.equal(shown.definition.cmd, "sleep 2000");
    assert.equal(shown.definition.mem, 48);
    assert.deepEqual(shown.definition.labels ?? {}, {}, "a full replace drops the labels it leaves out");
  });

  test("app update creates a missing app and says so", async () => {
    const r = await ok(["app", "update", "/cli/created-by-put", "-", "--detach"], JSON.stringify({ id: "/cli/created-by-put", cmd: "sleep 5", cpus: 0.1, mem: 16, instances: 0 }));
    assert.match(r.stdout, /^created \/cli\/created-by-put \(/);
  });

  test("app versions lists every version newest first, and app show --version prints an old one", async () => {
    const j = await json<{ versions: string[] }>(["app", "versions", "/cli/web"]);
    // add, scale 3, scale 4, patch mem, replace
    assert.ok(j.versions.length >= 5, `versions: ${j.versions.join(", ")}`);
    assert.deepEqual([...j.versions].sort().reverse(), j.versions, "newest first");
    assert.equal(j.versions[0], (await json(["app", "show", "/cli/web"])).version);

    const r = await ok(["app", "versions", "/cli/web"]);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "VERSION");
    assert.deepEqual(lines.slice(1), j.versions);

    const first = j.versions.at(-1)!;
    const old = await json(["app", "show", "/cli/web", "--version", first]);
    assert.equal(old.version, first);
    assert.equal(old.definition.instances, 2);
    assert.equal(old.definition.cmd, "sleep 1000");
    const oldText = await ok(["app", "show", "/cli/web", "--version", first]);
    assert.match(oldText.stdout, /^CMD\s+sleep 1000$/m);
  });

  test("app restart starts a deployment that restarts the app; --json prints the RestartAppResponse", async () => {
    const before = (await json(["app", "show", "/cli/web-json"])).version as string;
    const r = await ok(["app", "restart", "/cli/web-json", "--force", "--detach"]);
    const m = /^restarting \/cli\/web-json \(deployment (\S+), version (\S+)\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.notEqual(m[2], before, "a restart makes a new version");
    const deployments = await json<{ deployments?: { id: string; affectedApps?: string[] }[] }>(["deployment", "list"]);
    const restart = deployments.deployments?.find((d) => d.id === m[1]);
    assert.ok(restart, "the restart's deployment is listed");
    assert.deepEqual(restart.affectedApps, ["/cli/web-json"]);

    const j = await json(["app", "restart", "/cli/web-json", "--force"]);
    assert.ok(j.deployment.deploymentId);
  });

  test("app remove deletes the app (text and --json)", async () => {
    const r = await ok(["app", "remove", "/cli/stdin-a", "--force", "--detach"]);
    assert.match(r.stdout, /^removed \/cli\/stdin-a \(deployment \S+/);
    const j = await json(["app", "rm", "/cli/stdin-b", "--force"]);
    assert.ok(j.deploymentId);
    const listed = await json<{ apps?: { id: string }[] }>(["app", "list", "--id", "stdin"]);
    assert.deepEqual(listed.apps ?? [], []);
  });
});

describe("deployments", () => {
  test("deployment list shows running deployments with what they affect; cancel rolls back, cancel --force only stops", async () => {
    const added = await json(["app", "add"], JSON.stringify({ id: "/cli/deploy-me", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 }));
    const id = added.deploymentId as string;

    const r = await ok(["deployment", "list"]);
    const table = tableRow(r.stdout, id);
    assert.match(table.header, /^ID\s+VERSION\s+AFFECTED\s+STEP\s+CURRENT ACTIONS$/);
    assertColumn(table, "AFFECTED", "/cli/deploy-me");
    const j = await json<{ deployments: { id: string; affectedApps: string[] }[] }>(["deployment", "list"]);
    assert.deepEqual(j.deployments.find((d) => d.id === id)?.affectedApps, ["/cli/deploy-me"]);

    const cancelled = await ok(["deployment", "cancel", id]);
    const m = /^cancelled (\S+); rolling back in deployment ([^\s,]+)/.exec(cancelled.stdout);
    assert.ok(m, cancelled.stdout);
    assert.equal(m[1], id);
    const after = await json<{ deployments?: { id: string }[] }>(["deployment", "list"]);
    assert.ok(!(after.deployments ?? []).some((d) => d.id === id), "the cancelled deployment is gone");
    await eventually("the rollback removed the new app", async () => {
      const r = await runGantry(["app", "show", "/cli/deploy-me"], cluster.clientEnv);
      return r.code === 1 ? r : undefined;
    });

    const kept = await json(["app", "add"], JSON.stringify({ id: "/cli/keep-me", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 }));
    const stopped = await ok(["deployment", "cancel", kept.deploymentId, "--force"]);
    assert.equal(stopped.stdout, `stopped ${kept.deploymentId} (no rollback)\n`);
    const gone = await json<{ deployments?: { id: string }[] }>(["deployment", "list"]);
    assert.ok(!(gone.deployments ?? []).some((d) => d.id === kept.deploymentId), "the stopped deployment is gone");
    assert.equal((await json(["app", "show", "/cli/keep-me"])).id, "/cli/keep-me", "no rollback: the app stays");
  });

  test("cancelling a deployment that does not exist exits 1", async () => {
    const r = await runGantry(["deployment", "cancel", "no-such-deployment"], cluster.clientEnv);
    assert.equal(r.code, 1, r.stderr);
  });
});

describe("pods", () => {
  const pod = {
    id: "/cli/pod",
    containers: [{ name: "c1", exec: { command: { shell: "sleep 1000" } }, resources: { cpus: 0.1, mem: 32 } }],
    scaling: { kind: "fixed", instances: 1 },
    networks: [{ mode: "host" }],
  };

  test("pod add, list, show: text and --json", async () => {
    const added = await ok(["pod", "add", await file("pod.json", pod), "--detach"]);
    assert.match(added.stdout, /^created \/cli\/pod \(deployment \S+, version \S+\)\n$/);

    const table = tableRow((await ok(["pod", "list"])).stdout, "/cli/pod");
    assert.match(table.header, /^ID\s+INSTANCES\s+CONTAINERS\s+CPUS\s+MEM\s+VERSION$/);
    assertColumn(table, "INSTANCES", "1");
    assertColumn(table, "CONTAINERS", "c1");
    assertColumn(table, "CPUS", "0.1");
    assertColumn(table, "MEM", "32");
    const listed = await json<{ pods: { id: string }[] }>(["pod", "list"]);
    assert.ok(listed.pods.some((p) => p.id === "/cli/pod"));

    const shown = await ok(["pod", "show", "/cli/pod"]);
    assert.match(shown.stdout, /^CONTAINERS\s+c1$/m);
    assert.equal((await json(["pod", "show", "/cli/pod"])).definition.containers[0].name, "c1");
  });

  test("pod update replaces the pod; versions and show --version reach the old one; remove deletes it", async () => {
    const changed = structuredClone(pod);
    changed.containers[0]!.resources.mem = 64;
    const r = await ok(["pod", "update", "/cli/pod", "--force", "--detach"], JSON.stringify(changed));
    assert.match(r.stdout, /^updated \/cli\/pod \(/);
    assert.equal((await json(["pod", "show", "/cli/pod"])).definition.containers[0].resources.mem, 64);

    const { versions } = await json<{ versions: string[] }>(["pod", "versions", "/cli/pod"]);
    assert.equal(versions.length, 2);
    assert.equal((await ok(["pod", "versions", "/cli/pod"])).stdout, ["VERSION", ...versions].join("\n") + "\n");
    const old = await json(["pod", "show", "/cli/pod", "--version", versions[1]!]);
    assert.equal(old.definition.containers[0].resources.mem, 32);

    const removed = await json(["pod", "remove", "/cli/pod", "--force"]);
    assert.ok(removed.deployment.deploymentId);
    const missing = await runGantry(["pod", "show", "/cli/pod"], cluster.clientEnv);
    assert.equal(missing.code, 1);
  });
});

describe("groups", () => {
  const shop = {
    id: "/cli-shop",
    apps: [{ id: "/cli-shop/a", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 }],
  };

  test("group add, list, show: text and --json", async () => {
    const added = await ok(["group", "add", await file("shop.json", shop), "--detach"]);
    assert.match(added.stdout, /^created group \/cli-shop \(deployment \S+/);

    const table = tableRow((await ok(["group", "list"])).stdout, "/cli-shop");
    assert.match(table.header, /^ID\s+APPS\s+PODS\s+GROUPS\s+VERSION$/);
    assertColumn(table, "APPS", "1");
    assertColumn(table, "PODS", "0");
    const listed = await json(["group", "list"]);
    assert.ok((listed.group.groups as { id: string }[]).some((g) => g.id === "/cli-shop"));

    const shown = await ok(["group", "show", "/cli-shop"]);
    assert.match(shown.stdout, /^ID\s+\/cli-shop$/m);
    const members = tableRow(shown.stdout.slice(shown.stdout.indexOf("KIND")), "app");
    assert.match(members.row, /^app\s+\/cli-shop\/a\s+1\s+0\.1\s+16\b/);
    const j = await json(["group", "show", "/cli-shop"]);
    assert.equal(j.id, "/cli-shop");
    assert.equal(j.apps[0].id, "/cli-shop/a");
  });

  test("group update --dry-run prints the plan and changes nothing", async () => {
    const next = { ...shop, apps: [...shop.apps, { id: "/cli-shop/b", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 }] };
    const defFile = await file("shop-v2.json", next);
    const r = await ok(["group", "update", "/cli-shop", defFile, "--dry-run"]);
    assert.match(r.stdout, /^dry run of \/cli-shop: nothing changed/);
    assert.match(r.stdout, /^STEP\s+ACTION\s+RUN SPEC$/m);
    assert.match(r.stdout, /^1\s+StartApplication\s+\/cli-shop\/b$/m);

    const j = await json(["group", "update", "/cli-shop", defFile, "--dry-run"]);
    const actions = (j.plan.steps as { actions: { action: string; app?: string }[] }[]).flatMap((s) => s.actions);
    assert.deepEqual(actions[0], { action: "StartApplication", app: "/cli-shop/b" });
    assert.deepEqual(new Set(actions.map((a) => a.app)), new Set(["/cli-shop/b"]), "only the new app is touched");
    assert.deepEqual((await json(["group", "show", "/cli-shop"])).apps.map((a: { id: string }) => a.id), ["/cli-shop/a"], "nothing changed");
  });

  test("group scale multiplies the instances of its apps; versions and show --version reach the old tree", async () => {
    const r = await ok(["group", "scale", "/cli-shop", "3", "--force", "--detach"]);
    assert.match(r.stdout, /^scaling group by 3: \/cli-shop \(deployment \S+/);
    assert.equal((await json(["group", "show", "/cli-shop"])).apps[0].instances, 3);

    const { versions } = await json<{ versions: string[] }>(["group", "versions", "/cli-shop"]);
    assert.ok(versions.length >= 2, versions.join(", "));
    const old = await json(["group", "show", "/cli-shop", "--version", versions.at(-1)!]);
    assert.equal(old.apps[0].instances, 1);
  });

  test("group update applies a definition; remove deletes the group and its apps", async () => {
    const updated = await json(["group", "update", "/cli-shop", "--force"], JSON.stringify({ ...shop, apps: [{ ...shop.apps[0], mem: 32 }] }));
    assert.ok(updated.deployment.deploymentId);
    assert.equal((await json(["app", "show", "/cli-shop/a"])).definition.mem, 32);

    const removed = await ok(["group", "remove", "/cli-shop", "--force", "--detach"]);
    assert.match(removed.stdout, /^removed group \/cli-shop \(deployment \S+/);
    const gone = await runGantry(["app", "show", "/cli-shop/a"], cluster.clientEnv);
    assert.equal(gone.code, 1);
  });

  test("group scale rejects a factor that is not a positive number with exit 2", async () => {
    const r = await runGantry(["group", "scale", "/cli-shop", "0", "--detach"], cluster.clientEnv);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /factor/);
  });
});

describe("events", () => {
  test("a status report the scheduler can never handle is parked, never lost: events parked shows its count, consumer and subject", async () => {
    assert.match((await ok(["events", "parked"])).stdout, /no parked messages/);
    // An agent report that is not a TaskStatusUpdate at all, on the durable status stream.
    const nc = await connect({ servers: infrastructureUrls().natsUrl });
    try {
      await jetstream(nc).publish(`${cluster.cluster}.agent.status.bogus-agent`, new Uint8Array([0xff, 0xff, 0xff]), { headers: taskHeader("bogus.1") });
    } finally {
      await nc.close();
    }
    const parked = await eventually("the report to be parked", async () => {
      const report = await json<{ total?: string; consumers?: { consumer: string; count: string }[]; recent?: { subject: string; key: string; reason: string }[] }>(["events", "parked"]);
      return report.total === "1" ? report : undefined;
    }, 30_000);
    assert.deepEqual(parked.consumers?.map((c) => [c.consumer, c.count]), [["scheduler_status", "1"]]);
    assert.equal(parked.recent?.[0]?.subject, `${cluster.cluster}.agent.status.bogus-agent`);
    assert.equal(parked.recent?.[0]?.key, "bogus.1");
    const text = (await ok(["events", "parked"])).stdout;
    assert.match(text, /1 parked message/);
    assert.ok(tableRow(text, "scheduler_status").row.includes(`${cluster.cluster}.parked.scheduler_status`), text);
  });
});

describe("help", () => {
  test("--help explains each group and exits 0; an unknown subcommand exits 2", async () => {
    const help = await ok(["app", "update", "--help"]);
    assert.match(help.stdout, /--partial/);
    assert.match(help.stdout, /PATCH/);
    assert.match((await ok(["group", "--help"])).stdout, /--dry-run/);
    const unknown = await runGantry(["app", "frobnicate"], cluster.clientEnv);
    assert.equal(unknown.code, 2);
  });
});
