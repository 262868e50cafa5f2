import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ConstraintRule } from "../../run-spec-demand.ts";
import { chooseInstancesToKill, selectInstancesToKill } from "./kill-selection.ts";

interface Inst {
  id: string;
  agent: { hostname: string; attributes: Record<string, string> };
}
const onHost = (id: string, hostname: string): Inst => ({ id, agent: { hostname, attributes: {} } });
const withAttrs = (id: string, attributes: Record<string, string>): Inst => ({ id, agent: { hostname: `h-${id}`, attributes } });
const groupBy = (field: string, value = ""): ConstraintRule => ({ field, operator: "GROUP_BY", value });
const countBy = (xs: readonly Inst[], f: (i: Inst) => string) => xs.reduce<Record<string, number>>((m, i) => ((m[f(i)] = (m[f(i)] ?? 0) + 1), m), {});

describe("selectInstancesToKill (Marathon's ConstraintsTest, and more)", () => {
  test("GROUP_BY hostname, 20 evenly on 2 hosts, kill 10: 5 from each", () => {
    const xs = Array.from({ length: 20 }, (_, n) => onHost(`i${n}`, `${n % 2}`));
    const killed = selectInstancesToKill(xs, [groupBy("hostname")], 10);
    assert.equal(killed.length, 10);
    assert.deepEqual(countBy(killed, (i) => i.agent.hostname), { "0": 5, "1": 5 });
  });

  test("uneven 20 + 10 on 2 hosts, kill 10: all from the larger group", () => {
    const xs = [...Array.from({ length: 20 }, (_, n) => onHost(`a${n}`, "1")), ...Array.from({ length: 10 }, (_, n) => onHost(`b${n}`, "2"))];
    const killed = selectInstancesToKill(xs, [groupBy("hostname")], 10);
    assert.equal(killed.length, 10);
    assert.ok(killed.every((i) => i.agent.hostname === "1"));
  });

  test("two GROUP_BYs, 40 evenly over rack × color, kill 20: both stay even", () => {
    const xs: Inst[] = [];
    for (const [rack, color, from] of [["rack-1", "blue", 0], ["rack-1", "green", 10], ["rack-2", "blue", 20], ["rack-2", "green", 30]] as const) {
      for (let n = 0; n < 10; n++) xs.push(withAttrs(`i${from + n}`, { rack, color }));
    }
    const killed = selectInstancesToKill(xs, [groupBy("rack"), groupBy("color")], 20);
    assert.equal(killed.length, 20);
    assert.deepEqual(countBy(killed, (i) => i.agent.attributes.rack!), { "rack-1": 10, "rack-2": 10 });
    assert.deepEqual(countBy(killed, (i) => i.agent.attributes.color!), { blue: 10, green: 10 });
  });

  test("no GROUP_BY: nothing selected (the caller's order decides)", () => {
    const xs = Array.from({ length: 10 }, (_, n) => withAttrs(`i${n}`, { rack: "rack-1" }));
    assert.deepEqual(selectInstancesToKill(xs, [{ field: "rack", operator: "UNIQUE", value: "" }], 5), []);
  });

  test("killing all: all of them, whatever the constraints", () => {
    const xs = [onHost("a", "h1"), onHost("b", "h2")];
    assert.deepEqual(selectInstancesToKill(xs, [], 2), xs);
  });

  test("ties are broken by the caller's order", () => {
    const xs = [onHost("x1", "h1"), onHost("x2", "h2"), onHost("x3", "h1"), onHost("x4", "h2")];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("hostname")], 2).map((i) => i.id), ["x1", "x2"]);
  });

  test("the largest group goes first even when the caller prefers others", () => {
    const xs = [onHost("small", "h2"), onHost("big1", "h1"), onHost("big2", "h1"), onHost("big3", "h1")];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("hostname")], 2).map((i) => i.id), ["big1", "big2"]);
  });

  test("the most uneven distribution is served first", () => {
    // zone b×5 c×1 (spread 4) is more uneven than rack r2×3 r1×2 r3×1 (spread 2), so zone's
    // largest group is tried first at every step. Serving rack first would, at the 3rd kill, take
    // "c-r1" (it passes too: zone spread 3 < 4) and leave zone c empty.
    const xs = [
      withAttrs("b-r2", { zone: "b", rack: "r2" }),
      withAttrs("b-r3", { zone: "b", rack: "r3" }),
      withAttrs("b-r2'", { zone: "b", rack: "r2" }),
      withAttrs("c-r1", { zone: "c", rack: "r1" }),
      withAttrs("b-r1", { zone: "b", rack: "r1" }),
      withAttrs("b-r2''", { zone: "b", rack: "r2" }),
    ];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("rack"), groupBy("zone")], 3).map((i) => i.id), ["b-r2", "b-r2'", "b-r1"]);
  });

  test("returns fewer than asked when every candidate would unbalance a distribution (emptied groups count as 0)", () => {
    // zone b×2 a×1 c×1, rack r3×2 r2×1 r1×1: both spread 1. Killing br2 or br1 empties a rack
    // ({0,2,1}: spread 2), killing ar3 or cr3 empties a zone: nothing keeps both within 1.
    const xs = [
      withAttrs("br2", { zone: "b", rack: "r2" }),
      withAttrs("ar3", { zone: "a", rack: "r3" }),
      withAttrs("cr3", { zone: "c", rack: "r3" }),
      withAttrs("br1", { zone: "b", rack: "r1" }),
    ];
    const constraints = [groupBy("zone"), groupBy("rack")];
    assert.deepEqual(selectInstancesToKill(xs, constraints, 1), []);
    assert.deepEqual(chooseInstancesToKill(xs, constraints, 1).map((i) => i.id), ["br2"]);
  });

  test("a kill that reduces a spread above 1 is taken even if the spread stays above 1", () => {
    // h1×4, h2×1: spread 3. Killing from h1 leaves spread 2: not within 1, but better than 3.
    const xs = [onHost("s", "h2"), ...Array.from({ length: 4 }, (_, n) => onHost(`b${n}`, "h1"))];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("hostname")], 1).map((i) => i.id), ["b0"]);
  });

  test("instances lacking the GROUP_BY field are one group", () => {
    // missing×2 vs a×1: the missing group is the largest, though the caller would kill "a" first.
    const xs = [withAttrs("a", { zone: "a" }), withAttrs("n1", {}), withAttrs("n2", {})];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("zone")], 1).map((i) => i.id), ["n1"]);
  });

  test("GROUP_BY values compare rendered (4.0 and 4 are one group)", () => {
    const xs = [withAttrs("x", { cores: "8" }), withAttrs("y", { cores: "4.0" }), withAttrs("z", { cores: "4" })];
    assert.deepEqual(selectInstancesToKill(xs, [groupBy("cores")], 1).map((i) => i.id), ["y"]);
  });

  test("counts out of range throw", () => {
    assert.throws(() => selectInstancesToKill([onHost("a", "h")], [], 2), RangeError);
    assert.throws(() => selectInstancesToKill([onHost("a", "h")], [], -1), RangeError);
    assert.throws(() => selectInstancesToKill([onHost("a", "h")], [], 0.5), RangeError);
  });
});

describe("chooseInstancesToKill", () => {
  test("GROUP_BY's choice first, then the caller's order, exactly count", () => {
    const xs = [onHost("small", "h2"), onHost("big1", "h1"), onHost("big2", "h1"), onHost("big3", "h1")];
    assert.deepEqual(chooseInstancesToKill(xs, [groupBy("hostname")], 3).map((i) => i.id), ["big1", "big2", "small"]);
  });
  test("without GROUP_BY it is the caller's order", () => {
    const xs = [onHost("a", "h1"), onHost("b", "h1"), onHost("c", "h2")];
    assert.deepEqual(chooseInstancesToKill(xs, [], 2).map((i) => i.id), ["a", "b"]);
  });
});
