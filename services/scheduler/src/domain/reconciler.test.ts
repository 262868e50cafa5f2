import { test } from "node:test";
import assert from "node:assert/strict";
import { reconcileRunSpec, upgradeBounds } from "./reconciler.ts";
import { servesHealthy, type Instance } from "./instance.ts";
import { testDemand, testInstance } from "./test-fixtures.ts";
import type { RunSpecDemand } from "./run-spec-demand.ts";

const checked = (id: string, version: string, healthy: boolean | undefined, over: Partial<Instance> = {}): Instance =>
  testInstance(id, {
    appVersion: version,
    tasks: [{ taskId: id, container: "web", state: over.state ?? "TASK_RUNNING", ...(healthy === undefined ? {} : { health: { healthy, message: "", changedAt: "t" } }) }],
    ...over,
  });

const web = (over: Partial<RunSpecDemand> = {}) => testDemand("/web", { configVersion: "v2", version: "v2", instances: 4, containers: ["web"], healthCheckedContainers: ["web"], ...over });

test("upgrade bounds are Marathon's: ceil of the minimum, floor of the maximum, one more when they meet", () => {
  assert.deepEqual(upgradeBounds(4, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }), { minHealthy: 2, maxCapacity: 4 });
  assert.deepEqual(upgradeBounds(4, { minimumHealthCapacity: 1, maximumOverCapacity: 1 }), { minHealthy: 4, maxCapacity: 8 });
  assert.deepEqual(upgradeBounds(3, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 }), { minHealthy: 2, maxCapacity: 4 });
  assert.deepEqual(upgradeBounds(4, { minimumHealthCapacity: 1, maximumOverCapacity: 0 }), { minHealthy: 4, maxCapacity: 5 }, "1/0 would never move");
  assert.deepEqual(upgradeBounds(10, { minimumHealthCapacity: 0.3, maximumOverCapacity: 0.1 }), { minHealthy: 3, maxCapacity: 11 }, "10 × 0.3 is 3, not 4");
  assert.deepEqual(upgradeBounds(0, { minimumHealthCapacity: 1, maximumOverCapacity: 1 }), { minHealthy: 0, maxCapacity: 1 });
});

test("with minimumHealthCapacity 0.5 and no over-capacity, half the old instances go at once and nothing launches until they end", () => {
  const old = [1, 2, 3, 4].map((n) => checked(`o${n}`, "v1", true, { placedAt: n }));
  const plan = reconcileRunSpec(web({ upgrade: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }), old);
  assert.equal(plan.kills.length, 2);
  assert.equal(plan.launch, 0, "4 are still live: no room under the maximum of 4");
  assert.ok(plan.rolling);
  const ended = old.filter((i) => !plan.kills.some((k) => k.instance === i));
  assert.equal(reconcileRunSpec(web({ upgrade: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }), ended).launch, 2, "once the killed ones end, two new ones fit");
});

test("with minimumHealthCapacity 1, an old instance goes only when a new one serves healthy", () => {
  const strategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
  const old = [1, 2, 3, 4].map((n) => checked(`o${n}`, "v1", true));
  const start = reconcileRunSpec(web({ upgrade: strategy }), old);
  assert.deepEqual([start.kills.length, start.launch], [0, 4]);
  const running = [checked("n1", "v2", undefined), checked("n2", "v2", false), checked("n3", "v2", undefined, { state: "TASK_STAGING" })];
  assert.equal(reconcileRunSpec(web({ upgrade: strategy }), [...old, ...running]).kills.length, 0, "running is not healthy");
  const oneHealthy = [checked("n1", "v2", true), ...running.slice(1)];
  const plan = reconcileRunSpec(web({ upgrade: strategy }), [...old, ...oneHealthy]);
  assert.equal(plan.kills.length, 1);
  assert.equal(plan.launch, 1, "one more new instance may start: 8 live at most");
});

test("old instances that do not run go first, whatever the minimum; an unhealthy running one counts as capacity but goes before healthy ones", () => {
  const old = [checked("sick", "v1", false, { placedAt: 1 }), checked("staging", "v1", undefined, { placedAt: 2, state: "TASK_STAGING" }), checked("ok1", "v1", true, { placedAt: 3 }), checked("ok2", "v1", true, { placedAt: 4 })];
  const plan = reconcileRunSpec(web({ instances: 2, upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } }), old);
  assert.deepEqual(plan.kills.map((k) => k.instance.instanceId).sort(), ["sick", "staging"]);
});

test("a new version that never gets healthy keeps the old instances serving", () => {
  const strategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
  const live = [checked("o1", "v1", true), checked("o2", "v1", true), checked("n1", "v2", false), checked("n2", "v2", false)];
  const plan = reconcileRunSpec(web({ upgrade: strategy }), live);
  assert.deepEqual([plan.kills.length, plan.launch], [0, 0]);
});

test("a rolling upgrade that also scales down kills the surplus new instances in kill selection order", () => {
  const live = [checked("o1", "v1", true), checked("n1", "v2", true, { placedAt: 1 }), checked("n2", "v2", true, { placedAt: 2 }), checked("n3", "v2", true, { placedAt: 3 })];
  const plan = reconcileRunSpec(web({ instances: 2 }), live);
  assert.deepEqual(plan.kills.map((k) => k.instance.instanceId), ["n3", "o1"]);
  assert.equal(plan.launch, 0);
});

test("a launch backoff holds launches of a rolling upgrade, never its kills", () => {
  const live = [checked("o1", "v1", true), checked("o2", "v1", true), checked("n1", "v2", true)];
  const plan = reconcileRunSpec(web({ instances: 2 }), live, { launchAllowed: false });
  assert.deepEqual([plan.kills.length, plan.launch], [1, 0]);
});

/**
 * Plays a whole upgrade of 4 instances: each round the plan is carried out, killed instances
 * end, and each launched instance starts and becomes healthy over the next rounds; healthy
 * capacity and live instances are checked against the bounds after every step.
 */
for (const strategy of [
  { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
  { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  { minimumHealthCapacity: 1, maximumOverCapacity: 0 },
  { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
  { minimumHealthCapacity: 0.75, maximumOverCapacity: 0.25 },
]) {
  test(`a rolling upgrade under ${JSON.stringify(strategy)} stays within its bounds and ends with every instance new`, () => {
    const demand = web({ upgrade: strategy });
    const { minHealthy, maxCapacity } = upgradeBounds(4, strategy);
    let live = [1, 2, 3, 4].map((n) => checked(`o${n}`, "v1", true, { placedAt: n }));
    let next = 0;
    const serving = () => live.filter((i) => !i.killRequested && servesHealthy(i, ["web"])).length;
    for (let round = 0; round < 50; round++) {
      const plan = reconcileRunSpec(demand, live);
      live = live.map((i) => (plan.kills.some((k) => k.instance === i) ? { ...i, killRequested: true } : i));
      for (let l = 0; l < plan.launch; l++) live.push(checked(`n${++next}`, "v2", undefined, { state: "TASK_STAGING", placedAt: 100 + next }));
      assert.ok(serving() >= Math.min(minHealthy, 4), `round ${round}: ${serving()} serving, minimum ${minHealthy}`);
      assert.ok(live.length <= maxCapacity, `round ${round}: ${live.length} live, maximum ${maxCapacity}`);
      // The world moves: instances killed before this round end (those killed now take a round
      // more); staging ones run; running ones get healthy.
      const killedNow = new Set(plan.kills.map((k) => k.instance.instanceId));
      live = live
        .filter((i) => !i.killRequested || killedNow.has(i.instanceId))
        .map((i) => (i.killRequested ? i : i.state === "TASK_STAGING" ? checked(i.instanceId, i.appVersion, undefined, { placedAt: i.placedAt }) : i.tasks[0]!.health ? i : checked(i.instanceId, i.appVersion, true, { placedAt: i.placedAt })));
      if (live.length === 4 && live.every((i) => i.appVersion === "v2" && servesHealthy(i, ["web"]))) return;
    }
    assert.fail(`not done after 50 rounds: ${live.map((i) => `${i.instanceId}@${i.appVersion}`).join(", ")}`);
  });
}

test("instances of a deleted run spec are all killed; ones already stopping are not killed again", () => {
  const plan = reconcileRunSpec(undefined, [checked("a", "v1", true), checked("b", "v1", true, { killRequested: true })]);
  assert.deepEqual(plan.kills.map((k) => k.instance.instanceId), ["a"]);
});

test("a scale down kills the instances it names before any other, whatever the kill selection", () => {
  const live = [checked("a", "v2", true, { placedAt: 1 }), checked("b", "v2", true, { placedAt: 2 }), checked("c", "v2", true, { placedAt: 3 })];
  const plan = reconcileRunSpec(web({ instances: 2 }), live, { killFirst: new Set(["a"]) });
  assert.deepEqual(plan.kills.map((k) => k.instance.instanceId), ["a"], "not c, the youngest");
  assert.deepEqual(reconcileRunSpec(web({ instances: 2 }), live).kills.map((k) => k.instance.instanceId), ["c"]);
});

test("a scale down kills instances that do not run before running ones, and keeps a GROUP_BY constraint balanced", () => {
  const zoneOf: Record<string, string> = { a: "z1", b: "z1", c: "z2", d: "z2" };
  const agentOf = (agentId: string) => ({ hostname: agentId, attributes: { zone: zoneOf[agentId]! } });
  const on = (id: string, agentId: string, placedAt: number, state: Instance["state"] = "TASK_RUNNING") => checked(id, "v2", true, { agentId, placedAt, state });
  const grouped = web({ instances: 2, healthCheckedContainers: [], constraints: [{ field: "zone", operator: "GROUP_BY", value: "" }] });
  // Youngest first would kill i4 and i3, both in z2: z1 would keep two and z2 none.
  const live = [on("i1", "a", 1), on("i2", "b", 2), on("i3", "c", 3), on("i4", "d", 4)];
  const balanced = reconcileRunSpec(grouped, live, { agentOf }).kills.map((k) => k.instance.instanceId).sort();
  assert.deepEqual(balanced.map((id) => zoneOf[live.find((i) => i.instanceId === id)!.agentId]).sort(), ["z1", "z2"]);
  const staging = [on("s1", "a", 1), on("s2", "b", 2, "TASK_STAGING"), on("s3", "c", 3)];
  assert.deepEqual(reconcileRunSpec(web({ instances: 2 }), staging).kills.map((k) => k.instance.instanceId), ["s2"], "the staging one, though not the youngest");
});

test("an old instance whose health check flaps is not killed before a new one serves", () => {
  const live = [checked("o1", "v1", false), checked("o2", "v1", true), checked("n1", "v2", false), checked("n2", "v2", undefined)];
  const plan = reconcileRunSpec(web({ instances: 2, upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } }), live);
  assert.deepEqual(plan.kills, [], "o1 runs: it is capacity until a new instance serves");
});
