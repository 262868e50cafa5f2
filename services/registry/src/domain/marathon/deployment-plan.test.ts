import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeDeploymentPlan, runSpecSetOf, type RunSpecSet } from "./deployment-plan.ts";
import { validateApp } from "./app-validator.ts";
import { validatePod } from "./pod-validator.ts";
import { validateGroup } from "./group-validator.ts";
import type { AppDefinition } from "./app.model.ts";
import { assertOk } from "./test-support.ts";

const app = (id: string, extra: Record<string, unknown> = {}): AppDefinition => assertOk(validateApp({ id, cmd: "sleep 1", ...extra })).app;
const set = (...apps: AppDefinition[]): RunSpecSet => ({ apps });
const none: RunSpecSet = { apps: [] };

describe("computeDeploymentPlan", () => {
  it("a new app: [StartApplication], [ScaleApplication]", () =>
    assert.deepEqual(computeDeploymentPlan(none, set(app("/web"))), {
      steps: [{ actions: [{ action: "StartApplication", app: "/web" }] }, { actions: [{ action: "ScaleApplication", app: "/web" }] }],
      affectedApps: ["/web"],
      affectedPods: [],
    }));
  it("a removed app: [StopApplication]", () =>
    assert.deepEqual(computeDeploymentPlan(set(app("/web")), none).steps, [{ actions: [{ action: "StopApplication", app: "/web" }] }]));
  it("no change: no steps", () => assert.deepEqual(computeDeploymentPlan(set(app("/web")), set(app("/web"))), { steps: [], affectedApps: [], affectedPods: [] }));
  it("only instances changed: ScaleApplication", () =>
    assert.deepEqual(computeDeploymentPlan(set(app("/web")), set(app("/web", { instances: 3 }))).steps, [{ actions: [{ action: "ScaleApplication", app: "/web" }] }]));
  it("a config change: RestartApplication (labels and upgradeStrategy count)", () => {
    for (const change of [{ cmd: "sleep 2" }, { labels: { a: "b" } }, { upgradeStrategy: { minimumHealthCapacity: 0.5 } }, { backoffSeconds: 5 }]) {
      assert.deepEqual(computeDeploymentPlan(set(app("/web")), set(app("/web", change))).steps, [{ actions: [{ action: "RestartApplication", app: "/web" }] }], JSON.stringify(change));
    }
  });
  it("config change with target instances 0: ScaleApplication", () =>
    assert.deepEqual(computeDeploymentPlan(set(app("/web")), set(app("/web", { cmd: "x", instances: 0 }))).steps, [{ actions: [{ action: "ScaleApplication", app: "/web" }] }]));
  it("a forced restart of an unchanged app: RestartApplication", () =>
    assert.deepEqual(computeDeploymentPlan(set(app("/web")), set(app("/web")), { restart: ["/web"] }).steps, [{ actions: [{ action: "RestartApplication", app: "/web" }] }]));
  it("orders dependency layers by longest dependency path (dependencies first)", () => {
    const db = app("/db");
    const api = app("/api", { dependencies: ["/db"] });
    const web = app("/web", { dependencies: ["/api", "/db"] });
    const cache = app("/cache");
    const plan = computeDeploymentPlan(none, set(web, api, db, cache));
    assert.deepEqual(plan.steps, [
      { actions: ["/api", "/cache", "/db", "/web"].map((id) => ({ action: "StartApplication", app: id })) },
      { actions: [{ action: "ScaleApplication", app: "/cache" }, { action: "ScaleApplication", app: "/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/api" }] },
      { actions: [{ action: "ScaleApplication", app: "/web" }] },
    ]);
    assert.deepEqual(plan.affectedApps, ["/api", "/cache", "/db", "/web"]);
  });
  it("layers only affected apps, but by their depth in the whole target graph", () => {
    const db = app("/db");
    const web = app("/web", { dependencies: ["/db"] });
    const plan = computeDeploymentPlan(set(db, web), set(db, app("/web", { dependencies: ["/db"], cmd: "new" })));
    assert.deepEqual(plan.steps, [{ actions: [{ action: "RestartApplication", app: "/web" }] }]);
  });
  it("stop before start, restart in dependency order", () => {
    const plan = computeDeploymentPlan(set(app("/old"), app("/db")), set(app("/db", { cmd: "v2" }), app("/web", { dependencies: ["/db"] })));
    assert.deepEqual(plan.steps, [
      { actions: [{ action: "StopApplication", app: "/old" }] },
      { actions: [{ action: "StartApplication", app: "/web" }] },
      { actions: [{ action: "RestartApplication", app: "/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/web" }] },
    ]);
  });
  it("group dependencies order every app of the group", () => {
    const g = assertOk(validateGroup({ id: "/", groups: [{ id: "front", dependencies: ["/back"], apps: [{ id: "web", cmd: "x" }] }, { id: "back", apps: [{ id: "api", cmd: "x" }] }] })).group;
    const plan = computeDeploymentPlan(none, runSpecSetOf(g));
    assert.deepEqual(plan.steps.slice(1), [{ actions: [{ action: "ScaleApplication", app: "/back/api" }] }, { actions: [{ action: "ScaleApplication", app: "/front/web" }] }]);
  });
  it("resolves artifacts first for new or changed apps with storeUrls", () => {
    const plan = computeDeploymentPlan(none, set(app("/web", { storeUrls: ["http://a/b"] })));
    assert.deepEqual(plan.steps[0], { actions: [{ action: "ResolveArtifacts", app: "/web" }] });
    assert.equal(plan.steps.length, 3);
  });
  it("pods use the pod actions and affectedPods", () => {
    const pod = assertOk(validatePod({ id: "/p", containers: [{ name: "c", exec: { command: { shell: "sleep 1" } } }], networks: [{ mode: "host" }] })).pod;
    const plan = computeDeploymentPlan(none, { apps: [], pods: [pod] });
    assert.deepEqual(plan, { steps: [{ actions: [{ action: "StartPod", pod: "/p" }] }, { actions: [{ action: "ScalePod", pod: "/p" }] }], affectedApps: [], affectedPods: ["/p"] });
    const scaled = { ...pod, scaling: { kind: "fixed" as const, instances: 4 } };
    assert.deepEqual(computeDeploymentPlan({ apps: [], pods: [pod] }, { apps: [], pods: [scaled] }).steps, [{ actions: [{ action: "ScalePod", pod: "/p" }] }]);
    const changed = { ...pod, labels: { a: "b" } };
    assert.deepEqual(computeDeploymentPlan({ apps: [], pods: [pod] }, { apps: [], pods: [changed] }).steps, [{ actions: [{ action: "RestartPod", pod: "/p" }] }]);
    assert.deepEqual(computeDeploymentPlan({ apps: [], pods: [pod] }, none).steps, [{ actions: [{ action: "StopPod", pod: "/p" }] }]);
  });
});
