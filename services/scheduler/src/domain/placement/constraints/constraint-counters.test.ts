import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ConstraintAgent } from "./attribute-value.ts";
import { checkConstraint } from "./constraint-check.ts";
import { ConstraintCounters, NOTHING_PLACED } from "./constraint-counters.ts";

const zone = (z: string, hostname = `h-${z}`): ConstraintAgent => ({ hostname, attributes: { zone: z } });
const bare = (hostname: string): ConstraintAgent => ({ hostname, attributes: {} });

function snapshot(c: ConstraintCounters, field: string, values: string[]) {
  const f = c.forField(field);
  return { counts: values.map((v) => f.count(v)), groups: f.groups(), smallest: f.smallestGroup(), total: f.total() };
}

describe("ConstraintCounters", () => {
  test("counts per value, groups and smallest group", () => {
    const c = new ConstraintCounters(["zone"]);
    c.add("i1", zone("a"));
    c.add("i2", zone("a"));
    c.add("i3", zone("b"));
    assert.deepEqual(snapshot(c, "zone", ["a", "b", "c"]), { counts: [2, 1, 0], groups: 2, smallest: 1, total: 3 });
  });

  test("values are rendered like Marathon's (4.0 and 4 are one group)", () => {
    const c = new ConstraintCounters(["cores"]);
    c.add("i1", { hostname: "h1", attributes: { cores: "4.0" } });
    c.add("i2", { hostname: "h2", attributes: { cores: "4" } });
    assert.equal(c.forField("cores").count("4"), 2);
    assert.equal(c.forField("cores").groups(), 1);
  });

  test("hostname counts the agent's hostname", () => {
    const c = new ConstraintCounters(["hostname"]);
    c.add("i1", zone("a", "h1"));
    c.add("i2", zone("b", "h1"));
    assert.equal(c.forField("hostname").count("h1"), 2);
  });

  test("instances on agents lacking the field form one group of their own", () => {
    const c = new ConstraintCounters(["zone"]);
    c.add("i1", zone("a"));
    c.add("i2", zone("a"));
    c.add("i3", bare("h3"));
    assert.deepEqual(snapshot(c, "zone", ["a"]), { counts: [2], groups: 2, smallest: 1, total: 3 });
  });

  test("remove uses the values remembered at add (the agent may have changed since)", () => {
    const c = new ConstraintCounters(["zone"]);
    c.add("i1", zone("a"));
    assert.equal(c.remove("i1"), true);
    assert.deepEqual(snapshot(c, "zone", ["a"]), { counts: [0], groups: 0, smallest: 0, total: 0 });
  });

  test("the smallest group moves up when its last group grows", () => {
    const c = new ConstraintCounters(["zone"]);
    c.add("i1", zone("a"));
    c.add("i2", zone("a"));
    c.add("i3", zone("b"));
    c.add("i4", zone("b"));
    assert.equal(c.forField("zone").smallestGroup(), 2);
  });

  test("the smallest group is found again when the last smallest group empties", () => {
    const c = new ConstraintCounters(["zone"]);
    ["a", "a", "a", "b", "b", "b", "b", "c"].forEach((z, i) => c.add(`i${i}`, zone(z)));
    assert.equal(c.forField("zone").smallestGroup(), 1);
    c.remove("i7"); // c empties: the next smallest is a (3), not 2
    assert.equal(c.forField("zone").smallestGroup(), 3);
    c.remove("i0");
    assert.equal(c.forField("zone").smallestGroup(), 2);
  });

  test("agrees with a recount after any sequence of adds and removes", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const c = new ConstraintCounters(["zone"]);
    const live = new Map<string, string | undefined>();
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && random() < 0.45) {
        const ids = [...live.keys()];
        const id = ids[Math.floor(random() * ids.length)]!;
        c.remove(id);
        live.delete(id);
      } else {
        const id = `i${step}`;
        const z = random() < 0.1 ? undefined : `z${Math.floor(random() * 6)}`;
        c.add(id, z === undefined ? bare(id) : zone(z));
        live.set(id, z);
      }
      const groups = new Map<string | undefined, number>();
      for (const z of live.values()) groups.set(z, (groups.get(z) ?? 0) + 1);
      const f = c.forField("zone");
      assert.equal(f.groups(), groups.size, `groups at step ${step}`);
      assert.equal(f.smallestGroup(), groups.size === 0 ? 0 : Math.min(...groups.values()), `smallest at step ${step}`);
      assert.equal(f.total(), live.size);
      for (let z = 0; z < 6; z++) assert.equal(f.count(`z${z}`), groups.get(`z${z}`) ?? 0);
    }
  });

  test("adding an instance twice counts it once; removing an unknown one is a no-op", () => {
    const c = new ConstraintCounters(["zone"]);
    assert.equal(c.add("i1", zone("a")), true);
    assert.equal(c.add("i1", zone("b")), false);
    assert.equal(c.forField("zone").count("a"), 1);
    assert.equal(c.forField("zone").count("b"), 0);
    assert.equal(c.remove("nope"), false);
    assert.equal(c.size, 1);
  });

  test("an untracked field is a caller bug and throws", () => {
    assert.throws(() => new ConstraintCounters(["zone"]).forField("rack"), /not tracked/);
  });

  test("forConstraints tracks only the fields of counted operators", () => {
    const c = ConstraintCounters.forConstraints([
      { field: "zone", operator: "GROUP_BY", value: "" },
      { field: "hostname", operator: "UNIQUE", value: "" },
      { field: "rack", operator: "LIKE", value: "r.*" },
      { field: "zone", operator: "MAX_PER", value: "2" },
    ]);
    assert.deepEqual(c.fields, ["zone", "hostname"]);
  });

  test("NOTHING_PLACED answers zero for any field", () => {
    const f = NOTHING_PLACED.forField("anything");
    assert.deepEqual([f.count("x"), f.groups(), f.smallestGroup(), f.total()], [0, 0, 0, 0]);
  });
});

describe("ConstraintCounters: placement passes", () => {
  const unique = { field: "hostname", operator: "UNIQUE", value: "" } as const;

  test("a pass's own placements are seen by later checks in the same pass", () => {
    const c = ConstraintCounters.forConstraints([unique]);
    c.beginPass();
    assert.equal(checkConstraint(unique, bare("h1"), c).ok, true);
    c.add("new-1", bare("h1"));
    assert.equal(checkConstraint(unique, bare("h1"), c).ok, false);
  });

  test("rollback undoes the pass's adds and removes, and nothing before it", () => {
    const c = new ConstraintCounters(["zone"]);
    c.add("old-1", zone("a"));
    c.add("old-2", zone("b"));
    const before = snapshot(c, "zone", ["a", "b", "c"]);
    const pass = c.beginPass();
    c.add("new-1", zone("c"));
    c.add("new-2", zone("a"));
    c.remove("old-2");
    c.remove("new-1");
    assert.notDeepEqual(snapshot(c, "zone", ["a", "b", "c"]), before);
    pass.rollback();
    assert.deepEqual(snapshot(c, "zone", ["a", "b", "c"]), before);
    assert.equal(c.has("old-2"), true);
    assert.equal(c.has("new-2"), false);
    assert.equal(pass.open, false);
  });

  test("commit keeps the pass's changes", () => {
    const c = new ConstraintCounters(["zone"]);
    const pass = c.beginPass();
    c.add("new-1", zone("a"));
    pass.commit();
    assert.equal(c.forField("zone").count("a"), 1);
    // changes after the pass are not journalled into it
    c.add("new-2", zone("a"));
    assert.throws(() => pass.rollback(), /closed/);
    assert.equal(c.forField("zone").count("a"), 2);
  });

  test("one pass at a time; a closed pass cannot be closed again", () => {
    const c = new ConstraintCounters(["zone"]);
    const pass = c.beginPass();
    assert.throws(() => c.beginPass(), /already open/);
    pass.rollback();
    assert.throws(() => pass.commit(), /closed/);
    assert.doesNotThrow(() => c.beginPass().commit());
  });
});
