import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateGroup, checkGroupTree, GroupMessages, type GroupDefinition } from "./group-validator.ts";
import { validateApp } from "./app-validator.ts";
import { validatePod } from "./pod-validator.ts";
import { notChildMessage } from "./path-id.ts";
import { assertOk, assertViolation, assertOnlyViolations } from "./test-support.ts";

const a = (id: string, extra: Record<string, unknown> = {}) => ({ id, cmd: "sleep 1", ...extra });

describe("validateGroup", () => {
  it("resolves nested ids relative to their group", () => {
    const g = assertOk(validateGroup({ id: "/prod", apps: [a("web")], groups: [{ id: "db", apps: [a("pg", { dependencies: ["../../cache"] })] }] })).group;
    assert.equal(g.id, "/prod");
    assert.deepEqual(g.apps.map((x) => x.id), ["/prod/web"]);
    assert.equal(g.groups[0]?.id, "/prod/db");
    assert.deepEqual(g.groups[0]?.apps[0]?.dependencies, ["/prod/cache"]);
  });
  it("resolves the top group against options.parentGroup and allows the root", () => {
    assert.equal(assertOk(validateGroup({ id: "eu", apps: [] }, { parentGroup: "/prod" })).group.id, "/prod/eu");
    assert.equal(assertOk(validateGroup({ id: "/", groups: [{ id: "a" }] })).group.groups[0]?.id, "/a");
  });
  it("canonicalises group dependencies relative to the group", () =>
    assert.deepEqual(assertOk(validateGroup({ id: "/prod/web", dependencies: ["../db"] })).group.dependencies, ["/prod/db"]));
  it("apps must be direct children of their group", () =>
    assertViolation(validateGroup({ id: "/group", apps: [a("/app")] }), "/apps/0/id", notChildMessage("/app", "/group"), "Object is not valid"));
  it("groups must be direct children of their group", () =>
    assertViolation(validateGroup({ id: "/g", groups: [{ id: "/other/x" }] }), "/groups/0/id", notChildMessage("/other/x", "/g")));
  it("reports nested app violations under their path", () => {
    const r = validateGroup({ id: "/g", groups: [{ id: "h", apps: [a("x"), a("y", { cpus: -1 })] }] });
    assertOnlyViolations(r, [{ path: "/groups/0/apps/1/cpus", errors: ["got -1.0, expected 0.0 or more"] }]);
  });
  it("reports nested shape errors under their path", () =>
    assertViolation(validateGroup({ id: "/g", apps: [a("x", { mem: "lots" })] }), "/apps/0/mem", "error.expected.jsnumber", "Invalid JSON"));
  it("requires an id and arrays for apps/groups", () => {
    assertViolation(validateGroup({ apps: [] }), "/id", "error.path.missing");
    assertViolation(validateGroup({ id: "/g", apps: {} }), "/apps", "error.expected.jsarray");
  });
  it("ignores pods in a group body (pods cannot be changed via /v2/groups)", () =>
    assert.deepEqual(assertOk(validateGroup({ id: "/g", pods: [{ id: "p" }] })).group.pods, []));
  it("rejects dependency cycles and names the cycle", () => {
    const r = validateGroup({ id: "/", apps: [a("a", { dependencies: ["/b"] }), a("b", { dependencies: ["/c"] }), a("c", { dependencies: ["/a"] })] });
    assertOnlyViolations(r, [{ path: "/", errors: [GroupMessages.cycle, "Cycle: /a -> /b -> /c -> /a"] }]);
  });
  it("rejects a self-dependency", () =>
    assertViolation(validateGroup({ id: "/", apps: [a("a", { dependencies: ["/a"] })] }), "/", "Cycle: /a -> /a"));
  it("rejects cycles through group dependencies", () => {
    const r = validateGroup({ id: "/", groups: [{ id: "front", dependencies: ["/back"], apps: [a("web")] }, { id: "back", apps: [a("api", { dependencies: ["/front"] })] }] });
    assertViolation(r, "/", GroupMessages.cycle);
    assertViolation(r, "/", "Cycle: /back/api -> /front/web -> /back/api");
  });
  it("accepts an acyclic graph", () => void assertOk(validateGroup({ id: "/", apps: [a("a", { dependencies: ["/b"] }), a("b")] })));
  it("groups and apps may not share an id", () =>
    assertViolation(validateGroup({ id: "/", apps: [a("x")], groups: [{ id: "x" }] }), "/", GroupMessages.appsAndGroups));
  it("duplicate app ids are refused", () => assertViolation(validateGroup({ id: "/", apps: [a("x"), a("x")] }), "/", GroupMessages.duplicateIds));
});

describe("checkGroupTree", () => {
  const app = assertOk(validateApp(a("/svc"))).app;
  const pod = assertOk(validatePod({ id: "/svc", containers: [{ name: "c", exec: { command: { shell: "sleep 1" } } }], networks: [{ mode: "host" }] })).pod;
  it("apps and pods may not share an id", () => {
    const root: GroupDefinition = { id: "/", apps: [app], pods: [pod], groups: [], dependencies: [] };
    assert.deepEqual(checkGroupTree(root), [{ path: "/", errors: [GroupMessages.appsAndPods] }]);
  });
  it("accepts a consistent tree", () => assert.deepEqual(checkGroupTree({ id: "/", apps: [app], pods: [], groups: [], dependencies: [] }), []));
});
