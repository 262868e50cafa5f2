/**
 * The scoped decision (`scopeOfChange`) against the whole-tree one, on random trees and random
 * changes: wherever the scoped path is taken, it must decide exactly what the whole tree decides
 * (the same events, plan, versions and errors).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateApp, validatePod, type AppDefinition, type PodDefinition } from "../domain/index.ts";
import { decideChange, type ChangeDecision, type ChangeOptions } from "./change.decider.ts";
import { scopeOfChange } from "./change-scope.ts";
import { applyAppends } from "./change-runner.ts";
import { desiredFrom, withAncestors, type DesiredState } from "./group-tree.ts";
import { RegistryProjection } from "./registry.projection.ts";
import type { RegistryState } from "./registry-state.ts";
import { derivationsOf } from "./state-derivations.ts";

/** A repeatable random source (mulberry32). */
function randomSource(seed: number): { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}

type Random = ReturnType<typeof randomSource>;

const GROUPS = ["/a", "/a/x", "/b", "/b/y/z", "/c"];

function app(id: string, r: Random, extra: Record<string, unknown> = {}): AppDefinition {
  const raw: Record<string, unknown> = { id, cmd: `run ${r.int(3)}`, instances: r.int(4), ...extra };
  if (r.chance(0.1)) raw.storeUrls = ["http://store/x"];
  const v = validateApp(raw);
  if (!v.ok) throw new Error(JSON.stringify(v.violations));
  return v.app;
}

function pod(id: string, r: Random): PodDefinition {
  const v = validatePod({ id, containers: [{ name: "c", exec: { command: { shell: `sleep ${r.int(3)}` } } }], networks: [{ mode: "host" }], scaling: { kind: "fixed", instances: r.int(3) } });
  if (!v.ok) throw new Error(JSON.stringify(v.violations));
  return v.pod;
}

const externalVolume = { container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", external: { name: "vol", provider: "dvdi", options: { "dvdi/driver": "rexray" } } }] } };

/** One random edit of a desired state; mostly the kinds of change the scoped path takes, sometimes one it must refuse. */
function edit(desired: DesiredState, r: Random, named: Set<string>, restart: Set<string>): void {
  const apps = [...desired.apps.keys()];
  const pods = [...desired.pods.keys()];
  const id = `${r.pick(GROUPS)}/s${r.int(12)}`;
  // Dependencies and external volumes stay in a tree once there: rare, so that many trees stay scoped.
  switch (r.chance(0.03) ? 8 + r.int(3) : r.pick([0, 1, 2, 3, 4, 5, 6, 7, 11])) {
    case 0:
    case 1:
      desired.apps.set(id, app(id, r));
      named.add(id);
      break;
    case 2:
      if (apps.length > 0) desired.apps.delete(r.pick(apps));
      break;
    case 3:
      if (apps.length > 0) {
        const target = r.pick(apps);
        desired.apps.set(target, { ...desired.apps.get(target)!, instances: r.int(5) });
      }
      break;
    case 4:
      if (apps.length > 0) named.add(r.pick(apps));
      break;
    case 5:
      if (apps.length > 0) {
        const target = r.pick(apps);
        named.add(target);
        restart.add(target);
      }
      break;
    case 6:
      desired.pods.set(id, pod(id, r));
      if (r.chance(0.5)) named.add(id);
      break;
    case 7:
      if (pods.length > 0) desired.pods.delete(r.pick(pods));
      break;
    case 8:
      // Dependencies: the whole tree must decide.
      if (apps.length > 1) desired.apps.set(id, app(id, r, { dependencies: [r.pick(apps)] }));
      else desired.groups.set(r.pick(GROUPS), [r.pick(GROUPS)]);
      break;
    case 9:
      desired.apps.set(id, app(id, r, { instances: r.int(2), ...externalVolume }));
      break;
    case 10:
      // An app where a group is (a tree violation) or a pod where an app is.
      if (r.chance(0.5)) {
        const group = r.pick(GROUPS);
        desired.apps.set(group, app(group, r));
      }
      else if (apps.length > 0) {
        const target = r.pick(apps);
        desired.pods.set(target, pod(target, r));
        if (r.chance(0.5)) desired.apps.delete(target);
      }
      break;
    default:
      if (apps.length > 0) {
        const target = r.pick(apps);
        desired.apps.set(target, app(target, r));
      }
  }
}

/** What a state holds, in order (a state's maps are read in insertion order: events are written in it). */
function contentOf(s: RegistryState): unknown {
  return { apps: [...s.apps], pods: [...s.pods], groups: [...s.groups], rootVersion: s.rootVersion, running: s.running };
}

/** A state's derivations (carried from the state before, or derived afresh for a state built whole), in order. */
function derivedOf(s: RegistryState): unknown {
  const d = derivationsOf(s);
  return { appSpecs: [...d.appSpecs], podSpecs: [...d.podSpecs], appsBlockingScope: d.appsBlockingScope };
}

/** The decision, or the error it throws, as comparable data. */
function outcome(decide: () => ChangeDecision): unknown {
  try {
    const d = decide();
    return { version: d.version, deployment: d.deployment, plan: d.plan, appends: d.appends, apps: d.apps, pods: d.pods, cancelled: d.cancelled };
  } catch (err) {
    const e = err as { code?: string; message: string; violations?: unknown };
    return { error: e.code, message: e.message, violations: e.violations };
  }
}

describe("scoped change decisions", () => {
  test("equal to the whole-tree decisions on random trees and changes", () => {
    let scoped = 0;
    let whole = 0;
    let inPlace = 0;
    let rebuilt = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = randomSource(seed);
      const projection = new RegistryProjection();
      let clock = Date.parse("2026-01-01T00:00:00.000Z");
      for (let step = 0; step < 40; step++) {
        const state = projection.state();
        const target = desiredFrom(state);
        const named = new Set<string>();
        const restart = new Set<string>();
        for (let n = 1 + r.int(3); n > 0; n--) edit(target, r, named, restart);
        clock += 1000;
        const options: ChangeOptions = { deploymentId: `d${seed}-${step}`, now: new Date(clock), force: r.chance(0.7), touched: named, restart };
        const copy = (): DesiredState => ({ apps: new Map(target.apps), pods: new Map(target.pods), groups: new Map([...target.groups].map(([k, v]) => [k, [...v]])) });
        if (scopeOfChange(state, withAncestors(copy()), new Set([...named, ...restart]))) scoped++;
        else whole++;
        const expected = outcome(() => decideChange(state, copy(), options, "whole tree"));
        const actual = outcome(() => decideChange(state, copy(), options, "scoped"));
        assert.deepEqual(actual, expected, `seed ${seed}, step ${step}`);
        if (!("error" in (expected as object))) applyAppends(projection, decideChange(state, copy(), options, "whole tree").appends);
        // The next change starts from a state built in place where it can be: what a rebuild gives, entry for entry and in order.
        assert.deepEqual(contentOf(projection.state()), contentOf(projection.stateAt(undefined)), `state after seed ${seed}, step ${step}`);
        assert.deepEqual(derivedOf(projection.state()), derivedOf(projection.stateAt(undefined)), `derivations carried to seed ${seed}, step ${step}`);
        inPlace += projection.builds.inPlace;
        rebuilt += projection.builds.whole;
        projection.builds.inPlace = projection.builds.whole = 0;
      }
    }
    assert.ok(inPlace > 500 && rebuilt > 300, `states built in place ${inPlace}, whole ${rebuilt}`);
    // Both paths were exercised (the comparison is not vacuous).
    assert.ok(scoped > 500 && whole > 300, `scoped ${scoped}, whole ${whole}`);
  });

  test("a create among apps without dependencies is decided on its scope: the new app only", () => {
    const projection = new RegistryProjection();
    const r = randomSource(7);
    let clock = Date.parse("2026-01-01T00:00:00.000Z");
    for (let i = 0; i < 50; i++) {
      const target = desiredFrom(projection.state());
      target.apps.set(`/g${i % 5}/app-${i}`, app(`/g${i % 5}/app-${i}`, r));
      applyAppends(projection, decideChange(projection.state(), target, { deploymentId: `d${i}`, now: new Date((clock += 1000)), force: false }).appends);
    }
    const target = withAncestors(desiredFrom(projection.state()));
    target.apps.set("/g1/new", app("/g1/new", r));
    const scope = scopeOfChange(projection.state(), target, new Set(["/g1/new"]));
    assert.deepEqual(scope && { apps: scope.apps, pods: scope.pods, before: [...scope.before.keys()], after: [...scope.after.keys()] }, { apps: ["/g1/new"], pods: [], before: [], after: ["/g1/new"] });
  });
});
