/**
 * The projection's run specs: a logged one is kept as logged; events written before versions
 * carried run specs get one built from their stored definition when folded.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1App, eventsV1Group, eventsV1Pod, registryV1RunSpec as rs } from "@gantry/proto";
import { validateApp, validatePod } from "../domain/index.ts";
import { RegistryProjection } from "./registry.projection.ts";
import { plainJson, type RegistryState } from "./registry-state.ts";

const V1 = "2026-01-01T00:00:00.000Z";

/** A normalised definition as the log stores it: JSON, with its version. */
function stored(definition: object): JsonObject {
  return { ...plainJson(definition), version: V1 } as JsonObject;
}

function validApp(raw: object): JsonObject {
  const r = validateApp(raw);
  assert.ok(r.ok);
  return stored(r.app);
}

/** An AppCreated/PodCreated as a registry from before run specs wrote it: no `runSpec`. */
function legacyCreated(kind: "app" | "pod", definition: JsonObject): { streamId: string; streamVersion: number; type: string; data: JsonObject } {
  const version = { id: String(definition.id), version: V1, lastConfigChangeAt: V1, lastScalingAt: V1, definition };
  const data =
    kind === "app"
      ? toJson(eventsV1App.AppCreatedSchema, create(eventsV1App.AppCreatedSchema, { app: version, deploymentId: "d1" }))
      : toJson(eventsV1Pod.PodCreatedSchema, create(eventsV1Pod.PodCreatedSchema, { pod: version, deploymentId: "d1" }));
  return { streamId: `${kind}-${version.id}`, streamVersion: 1, type: kind === "app" ? "AppCreated" : "PodCreated", data: data as JsonObject };
}

describe("RegistryProjection: run specs", () => {
  test("an app logged without a run spec gets one from its definition", () => {
    const p = new RegistryProjection();
    p.apply(legacyCreated("app", validApp({ id: "/old/web", cmd: "sleep 1", instances: 2 })));
    const spec = p.state().apps.get("/old/web")?.runSpec;
    assert.equal(spec?.kind, rs.RunSpecKind.APP);
    assert.equal(spec?.instances, 2);
    assert.equal(spec?.configVersion, V1);
    assert.equal(spec?.containers[0]?.name, "web");
  });

  test("a pod logged without a run spec gets one from its definition", () => {
    const p = new RegistryProjection();
    const pod = { id: "/old/pod", containers: [{ name: "main", exec: { command: { shell: "sleep 1" } } }], networks: [{ mode: "host" }] };
    const r = validatePod(pod);
    assert.ok(r.ok);
    p.apply(legacyCreated("pod", stored(r.pod)));
    const spec = p.state().pods.get("/old/pod")?.runSpec;
    assert.equal(spec?.kind, rs.RunSpecKind.POD);
    assert.deepEqual(spec?.containers.map((c) => c.name), ["main"]);
  });

  test("a logged run spec is kept as logged, not rebuilt", () => {
    const p = new RegistryProjection();
    const e = legacyCreated("app", validApp({ id: "/new/web", cmd: "sleep 1" }));
    (e.data.app as JsonObject).runSpec = { id: "/new/web", kind: "RUN_SPEC_KIND_APP", instances: 7 };
    p.apply(e);
    assert.equal(p.state().apps.get("/new/web")?.runSpec?.instances, 7);
  });

  test("a definition that is not a normalised one folds without a run spec", () => {
    const p = new RegistryProjection();
    p.apply(legacyCreated("app", { id: "/odd", instances: 1 }));
    const stored = p.state().apps.get("/odd");
    assert.equal(stored?.definition.instances, 1);
    assert.equal(stored?.runSpec, undefined);
  });
});

describe("RegistryProjection: the current state", () => {
  test("is built once per change: the same object until an event applies; deployments moving keep the tree's maps", () => {
    const p = new RegistryProjection();
    p.apply(legacyCreated("app", validApp({ id: "/a", cmd: "sleep 1" })));
    const first = p.state();
    assert.equal(p.state(), first, "no event in between: the same state");
    const deployment = { id: "d1", version: V1, affectedApps: ["/a"], steps: [{ actions: [{ action: "StartApplication", app: "/a" }] }], totalSteps: 1 };
    p.apply({ streamId: "deployment-d1", streamVersion: 1, type: "DeploymentPlanned", data: { deployment } as JsonObject });
    const planned = p.state();
    assert.notEqual(planned, first);
    assert.equal(planned.apps, first.apps, "a deployment event keeps the apps map");
    assert.deepEqual(planned.running.map((r) => r.deployment.id), ["d1"], "and shows the running deployment");
    p.apply({ streamId: "deployment-d1", streamVersion: 2, type: "DeploymentSucceeded", data: { deploymentId: "d1" } });
    assert.deepEqual(p.state().running, []);
    p.apply(legacyCreated("app", validApp({ id: "/b", cmd: "sleep 1" })));
    const changed = p.state();
    assert.notEqual(changed.apps, first.apps, "an app event makes new maps");
    assert.deepEqual([...changed.apps.keys()].sort(), ["/a", "/b"]);
  });

  test("is built in place after creates and updates, as a rebuild builds it: implicit groups at the new root version, new apps last", () => {
    const p = new RegistryProjection();
    const contentOf = (s: RegistryState) => ({ apps: [...s.apps], pods: [...s.pods], groups: [...s.groups], rootVersion: s.rootVersion });
    const at = (n: number) => `2026-01-01T00:00:0${n}.000Z`;
    const appEvent = (id: string, n: number, streamVersion: number) => {
      const version = { id, version: at(n), lastConfigChangeAt: at(n), lastScalingAt: at(n), definition: { ...validApp({ id, cmd: `sleep ${n}` }), version: at(n) } };
      return { streamId: `app-${id}`, streamVersion, type: streamVersion === 1 ? "AppCreated" : "AppUpdated", data: toJson(eventsV1App.AppUpdatedSchema, create(eventsV1App.AppUpdatedSchema, { app: version, deploymentId: `d${n}` })) as JsonObject };
    };
    const root = (n: number, streamVersion: number) => ({ streamId: "group-/", streamVersion, type: streamVersion === 1 ? "GroupCreated" : "GroupUpdated", data: toJson(eventsV1Group.GroupUpdatedSchema, create(eventsV1Group.GroupUpdatedSchema, { groupId: "/", version: at(n), deploymentId: `d${n}` })) as JsonObject });
    const step = (events: ReturnType<typeof root>[], how: "inPlace" | "whole") => {
      const before = { ...p.builds };
      for (const e of events) p.apply(e);
      const built = p.state();
      assert.deepEqual(contentOf(built), contentOf(p.stateAt(undefined)));
      assert.equal(p.builds[how], before[how] + 1, `built ${how}`);
      return built;
    };
    // Apps logged before groups had streams: their groups are implicit.
    p.apply(appEvent("/legacy/x/a", 1, 1));
    p.state();
    step([root(2, 1)], "whole"); // the root, implicit until now, is written
    const updated = step([appEvent("/legacy/x/a", 3, 2), root(3, 2)], "inPlace");
    assert.equal(updated.groups.get("/legacy/x")?.version, at(3), "an implicit group has the new root version");
    const created = step([appEvent("/legacy/x/b", 4, 1), root(4, 3)], "inPlace");
    assert.deepEqual([...created.apps.keys()], ["/legacy/x/a", "/legacy/x/b"]);
    step([appEvent("/other/c", 5, 1), root(5, 4)], "whole"); // its group is not there yet
    step([appEvent("/legacy/x/b", 6, 2), root(6, 5)], "inPlace");
  });
});
