/**
 * decideChange as a specification: given the events of earlier changes (folded by the
 * projection), when a target state is decided, then these events (or this error).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GantryError } from "@gantry/platform";
import { ResidentUpdateMessages, validateApp, type AppDefinition } from "../domain/index.ts";
import { decideChange, nextVersion, type ChangeDecision, type ChangeOptions } from "./change.decider.ts";
import { applyAppends } from "./change-runner.ts";
import { desiredFrom, type DesiredState } from "./group-tree.ts";
import { RegistryProjection } from "./registry.projection.ts";

function app(id: string, extra: Record<string, unknown> = {}): AppDefinition {
  const r = validateApp({ id, cmd: "sleep 1", ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.violations));
  return r.app;
}

let clock = Date.parse("2026-01-01T00:00:00.000Z");
let ids = 0;
function options(extra: Partial<ChangeOptions> = {}): ChangeOptions {
  clock += 1000;
  return { deploymentId: `d${++ids}`, now: new Date(clock), force: false, ...extra };
}

/** A projection holding the events of the given changes. */
function given(...changes: ((p: RegistryProjection) => ChangeDecision)[]): RegistryProjection {
  const p = new RegistryProjection();
  for (const change of changes) applyAppends(p, change(p).appends);
  return p;
}

const withApps = (...apps: AppDefinition[]) => (p: RegistryProjection) => {
  const desired = desiredFrom(p.state());
  for (const a of apps) desired.apps.set(a.id, a);
  return decideChange(p.state(), desired, options({ force: true }));
};

function when(p: RegistryProjection, edit: (d: DesiredState) => void, extra: Partial<ChangeOptions> = {}): ChangeDecision {
  const desired = desiredFrom(p.state());
  edit(desired);
  return decideChange(p.state(), desired, options(extra));
}

function summary(d: ChangeDecision): string[] {
  return d.appends.flatMap((a) => a.events.map((e) => `${a.streamId}@${String(a.expectedVersion)} ${e.type}`));
}

describe("decideChange", () => {
  test("a new app: AppCreated, implicit groups, the root version, DeploymentPlanned (Start, Scale)", () => {
    const d = when(given(), (s) => s.apps.set("/shop/web", app("/shop/web")));
    assert.deepEqual(summary(d), [
      "app-/shop/web@0 AppCreated",
      "group-/@0 GroupCreated",
      "group-/shop@0 GroupCreated",
      `deployment-${d.deployment.id}@0 DeploymentPlanned`,
    ]);
    const created = d.appends[0]!.events[0]!.data as { app: { definition: Record<string, unknown>; version: string } };
    assert.equal(created.app.definition.id, "/shop/web");
    assert.equal(created.app.definition.version, created.app.version);
    assert.deepEqual(d.deployment.steps.map((s) => s.actions.map((a) => a.action)), [["StartApplication"], ["ScaleApplication"]]);
  });

  test("only instances changed: AppUpdated scaleOnly, lastConfigChangeAt kept, expected versions from the log", () => {
    const p = given(withApps(app("/a")));
    const before = p.apps.get("/a")!.current()!;
    const d = when(p, (s) => s.apps.set("/a", { ...s.apps.get("/a")!, instances: 4 }), { force: true });
    assert.deepEqual(summary(d).slice(0, 2), ["app-/a@1 AppUpdated", "group-/@1 GroupUpdated"]);
    const data = d.appends[0]!.events[0]!.data as { scaleOnly: boolean; app: { lastConfigChangeAt: string; lastScalingAt: string } };
    assert.equal(data.scaleOnly, true);
    assert.equal(data.app.lastConfigChangeAt, before.lastConfigChangeAt);
    assert.equal(data.app.lastScalingAt, d.version);
  });

  test("an unchanged app is not written unless the command names it", () => {
    const p = given(withApps(app("/a"), app("/b")));
    const d = when(p, (s) => s.apps.set("/b", { ...s.apps.get("/b")!, cmd: "sleep 2" }), { force: true });
    assert.ok(!summary(d).some((line) => line.startsWith("app-/a")));
    const touched = when(p, () => undefined, { force: true, touched: new Set(["/a"]) });
    assert.ok(summary(touched).includes("app-/a@1 AppUpdated"));
    assert.equal(touched.deployment.steps.length, 0);
  });

  test("a running deployment locks its apps; force cancels it in the same transaction", () => {
    const p = given((q) => {
      const desired = desiredFrom(q.state());
      desired.apps.set("/a", app("/a"));
      return decideChange(q.state(), desired, options({ deploymentId: "first" }));
    });
    assert.throws(
      () => when(p, (s) => s.apps.set("/a", app("/a", { cmd: "other" }))),
      (err: unknown) => err instanceof GantryError && err.code === "FailedPrecondition" && JSON.stringify(err.details.deployments) === '[{"id":"first"}]',
    );
    const unrelated = when(p, (s) => s.apps.set("/b", app("/b")));
    assert.deepEqual(unrelated.cancelled, [], "other apps are not locked");
    const forced = when(p, (s) => s.apps.set("/a", app("/a", { cmd: "other" })), { force: true });
    assert.deepEqual(forced.cancelled, ["first"]);
    assert.ok(summary(forced).includes("deployment-first@1 DeploymentCancelled"));
  });

  test("restart: same definition, AppUpdated restart, RestartApplication", () => {
    const p = given(withApps(app("/a")));
    const d = when(p, () => undefined, { force: true, touched: new Set(["/a"]), restart: new Set(["/a"]) });
    const data = d.appends[0]!.events[0]!.data as { restart: boolean; app: { lastConfigChangeAt: string } };
    assert.equal(data.restart, true);
    assert.equal(data.app.lastConfigChangeAt, d.version);
    assert.deepEqual(d.deployment.steps.map((s) => s.actions.map((a) => a.action)), [["RestartApplication"]]);
  });

  test("a dependency cycle across the stored tree is refused with the validator's message", () => {
    const p = given(withApps(app("/a", { dependencies: ["/b"] })));
    assert.throws(
      () => when(p, (s) => s.apps.set("/b", app("/b", { dependencies: ["/a"] })), { force: true }),
      (err: unknown) => err instanceof GantryError && err.code === "InvalidArgument" && err.violations[0]!.errors.includes("Dependency graph has cyclic dependencies."),
    );
  });

  test("a DVDI volume name used by another app of the stored tree is refused at the volume, Marathon's path", () => {
    const ext = (id: string) => app(id, { container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", external: { name: "vol", provider: "dvdi", options: { "dvdi/driver": "rexray" } } }] } });
    const p = given(withApps(ext("/a")));
    assert.throws(
      () => when(p, (s) => s.apps.set("/g/b", ext("/g/b")), { force: true }),
      (err: unknown) => err instanceof GantryError && err.code === "InvalidArgument" && err.message === "Object is not valid" && JSON.stringify(err.violations) === JSON.stringify([
        { path: "/apps(0)/externalVolumes(0)", errors: ["Volume name 'vol' in /a conflicts with volume(s) of same name in app(s): /g/b"] },
        { path: "/groups(0)/apps(0)/externalVolumes(0)", errors: ["Volume name 'vol' in /g/b conflicts with volume(s) of same name in app(s): /a"] },
      ]),
    );
  });

  describe("resident apps keep their resources and persistent volumes (Marathon's deployment plan validator)", () => {
    const vol = (size = 1) => ({ containerPath: "data", mode: "RW", persistent: { size } });
    const db = (extra: Record<string, unknown> = {}) => app("/db", { container: { type: "MESOS", volumes: [vol()] }, portDefinitions: [{ port: 0 }], ...extra });
    const refused: { name: string; edit: (s: DesiredState) => void; errors: string[] }[] = [
      { name: "cpus", edit: (s) => s.apps.set("/db", db({ cpus: 2 })), errors: [ResidentUpdateMessages.resources] },
      { name: "gpus", edit: (s) => s.apps.set("/db", db({ gpus: 1, container: { type: "MESOS", volumes: [vol()] } })), errors: [ResidentUpdateMessages.resources] },
      { name: "a port, requirePorts false", edit: (s) => s.apps.set("/db", db({ portDefinitions: [{ port: 8080 }] })), errors: [ResidentUpdateMessages.resources] },
      { name: "the volume size", edit: (s) => s.apps.set("/db", db({ container: { type: "MESOS", volumes: [vol(2)] } })), errors: [ResidentUpdateMessages.volumes] },
      { name: "an app becoming resident", edit: (s) => s.apps.set("/web", app("/web", { container: { type: "MESOS", volumes: [vol()] } })), errors: [ResidentUpdateMessages.volumes] },
    ];
    for (const c of refused) {
      test(`refuses ${c.name} at /app(0), whatever force says`, () => {
        const p = given(withApps(db(), app("/web")));
        assert.throws(
          () => when(p, c.edit, { force: true }),
          (err: unknown) => err instanceof GantryError && err.code === "InvalidArgument" && err.message === "Object is not valid" && JSON.stringify(err.violations) === JSON.stringify([{ path: "/app(0)", errors: c.errors }]),
        );
      });
    }
    test("indexes the deployment's created or updated apps (/app(1) after /a)", () => {
      const p = given(withApps(db()));
      assert.throws(
        () => when(p, (s) => { s.apps.set("/a", app("/a")); s.apps.set("/db", db({ mem: 64 })); }, { force: true }),
        (err: unknown) => err instanceof GantryError && JSON.stringify(err.violations) === JSON.stringify([{ path: "/app(1)", errors: [ResidentUpdateMessages.resources] }]),
      );
    });
    test("allows a scale, a restart and other fields", () => {
      const p = given(withApps(db()));
      when(p, (s) => s.apps.set("/db", db({ instances: 3 })), { force: true });
      when(p, () => undefined, { force: true, touched: new Set(["/db"]), restart: new Set(["/db"]) });
      when(p, (s) => s.apps.set("/db", db({ cmd: "sleep 2", env: { A: "1" } })), { force: true });
    });
  });

  test("deleting a group deletes its members and sub-groups; versions stay readable", () => {
    const p = given(withApps(app("/g/a"), app("/g/sub/b")));
    const d = when(p, (s) => {
      for (const id of [...s.apps.keys()]) s.apps.delete(id);
      s.groups.delete("/g");
      s.groups.delete("/g/sub");
    }, { force: true });
    assert.deepEqual(summary(d).slice(0, 5), ["app-/g/a@1 AppDeleted", "app-/g/sub/b@1 AppDeleted", "group-/@1 GroupUpdated", "group-/g@1 GroupDeleted", "group-/g/sub@1 GroupDeleted"]);
    applyAppends(p, d.appends);
    assert.equal(p.state().apps.size, 0);
    assert.equal(p.apps.get("/g/a")!.versions().length, 0, "a deleted app has no versions");
    assert.ok(p.stateAt(p.rootVersions()[1]!).apps.has("/g/a"), "the tree before the delete is still readable");
  });

  test("versions never repeat, even within one millisecond", () => {
    assert.equal(nextVersion("2026-01-01T00:00:00.000Z", new Date("2026-01-01T00:00:00.000Z")), "2026-01-01T00:00:00.001Z");
    assert.equal(nextVersion(undefined, new Date("2026-01-01T00:00:00.000Z")), "2026-01-01T00:00:00.000Z");
  });
});
