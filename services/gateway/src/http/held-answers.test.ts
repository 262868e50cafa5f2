import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import { ListVersionWatch } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { HeldAnswers, type Asker } from "./held-answers.ts";

/** A registry whose ListApps answers come from `answer` (or wait on `gate` first), counted. */
function fakeRegistry() {
  const fake = {
    asked: [] as string[],
    version: "r:1",
    gate: undefined as Promise<void> | undefined,
    async listApps(request: { knownVersion: string }) {
      const version = fake.version;
      fake.asked.push(request.knownVersion);
      if (fake.gate) await fake.gate;
      if (request.knownVersion === version) return { apps: [], deployments: [], version, unchanged: true };
      return { apps: [{ id: `/app-at-${version}` }], deployments: [], version, unchanged: false };
    },
  };
  return fake;
}

const everyone: Asker = { call: { metadata: {} }, readsAll: true };
const partial: Asker = { call: { metadata: {} }, readsAll: false };

describe("held answers", () => {
  let registry: ReturnType<typeof fakeRegistry>;
  let watch: ListVersionWatch;
  let held: HeldAnswers;
  const announce = (version: string) => watch.heard(JSON.stringify({ id: "registry-1", version }));

  beforeEach(() => {
    registry = fakeRegistry();
    watch = new ListVersionWatch();
    held = new HeldAnswers({ registry, scheduler: {} } as unknown as Backends, watch);
  });

  test("a list announced current is answered without asking, to a caller who may read every app", async () => {
    await held.apps({}, everyone);
    announce("r:1");
    const again = await held.apps({}, everyone);
    assert.deepEqual(registry.asked, [""], "asked once");
    assert.equal(again.apps[0]!.id, "/app-at-r:1");
  });

  test("a caller who may read only part is always asked for its own part, never handed a held list", async () => {
    await held.apps({}, everyone);
    announce("r:1");
    // This registry would answer "unchanged" to a held version: the partial caller must not send one.
    const mine = await held.apps({}, partial);
    await held.apps({}, partial);
    assert.deepEqual(registry.asked, ["", "", ""]);
    assert.equal(mine.apps[0]!.id, "/app-at-r:1", "its own answer");
  });

  test("a newer announced version makes the held list stale: asked with the held version", async () => {
    await held.apps({}, everyone);
    registry.version = "r:2";
    announce("r:2");
    const fresh = await held.apps({}, everyone);
    assert.deepEqual(registry.asked, ["", "r:1"]);
    assert.equal(fresh.apps[0]!.id, "/app-at-r:2");
    await held.apps({}, everyone);
    assert.equal(registry.asked.length, 2, "the new list is current: not asked again");
  });

  test("after a write through the gateway the held list is asked for again, even when its version is still announced", async () => {
    await held.apps({}, everyone);
    announce("r:1");
    held.invalidate();
    await held.apps({}, everyone);
    assert.deepEqual(registry.asked, ["", "r:1"], "asked again, unchanged");
    await held.apps({}, everyone);
    assert.equal(registry.asked.length, 2, "confirmed after the write: used without asking");
  });

  test("an answer asked for before a write never replaces one asked for after it", async () => {
    announce("r:1");
    let open!: () => void;
    registry.gate = new Promise((resolve) => (open = resolve));
    const before = held.apps({}, everyone); // asked before the write, answered late (r:1)
    held.invalidate();
    registry.gate = undefined;
    registry.version = "r:2";
    announce("r:2");
    await held.apps({}, everyone); // asked after the write (r:2)
    open();
    assert.equal((await before).apps[0]!.id, "/app-at-r:1");
    const asked = registry.asked.length;
    const now = await held.apps({}, everyone);
    assert.equal(registry.asked.length, asked, "the list asked for after the write is held: not asked again");
    assert.equal(now.apps[0]!.id, "/app-at-r:2");
  });
});
