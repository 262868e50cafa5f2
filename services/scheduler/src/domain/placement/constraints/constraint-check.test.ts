import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ConstraintOperatorName, ConstraintRule } from "../../run-spec-demand.ts";
import type { Verdict } from "../verdict.ts";
import type { ConstraintAgent } from "./attribute-value.ts";
import { checkConstraint, checkConstraints, constraintScope, parseJavaInt, renderConstraintRefusal, type ConstraintVerdict } from "./constraint-check.ts";
import { ConstraintCounters, NOTHING_PLACED } from "./constraint-counters.ts";

const agent = (hostname: string, attributes: Record<string, string> = {}): ConstraintAgent => ({ hostname, attributes });
const on = (field: string, ...values: string[]) => values.map((v, i) => (field === "hostname" ? agent(v) : agent(`p${i}`, { [field]: v })));
const rule = (field: string, operator: ConstraintOperatorName, value = ""): ConstraintRule => ({ field, operator, value });

/** Counters for the constraint's field with instances placed on these agents. */
function placedOn(field: string, agents: readonly ConstraintAgent[]): ConstraintCounters {
  const counters = new ConstraintCounters([field]);
  agents.forEach((a, i) => counters.add(`i${i}`, a));
  return counters;
}

interface Row {
  rule: string;
  constraint: ConstraintRule;
  agent: ConstraintAgent;
  placed?: readonly ConstraintAgent[];
  /** undefined = accepted; else the rule that refuses. */
  refusedBy?: string;
}

const rack = (v: string) => agent("h", { rack: v });
const noAttrs = agent("h");

const ROWS: Row[] = [
  // UNIQUE
  { rule: "UNIQUE hostname: a fresh host", constraint: rule("hostname", "UNIQUE"), agent: agent("h1"), placed: on("hostname", "h2") },
  { rule: "UNIQUE hostname: a host already used", constraint: rule("hostname", "UNIQUE"), agent: agent("h1"), placed: on("hostname", "h1"), refusedBy: "unique" },
  { rule: "UNIQUE text: a fresh value", constraint: rule("rack", "UNIQUE"), agent: rack("r2"), placed: on("rack", "r1") },
  { rule: "UNIQUE text: a used value", constraint: rule("rack", "UNIQUE"), agent: rack("r1"), placed: on("rack", "r1"), refusedBy: "unique" },
  { rule: "UNIQUE scalar: 4.0 and 4 are the same value", constraint: rule("cores", "UNIQUE"), agent: agent("h", { cores: "4.0" }), placed: on("cores", "4"), refusedBy: "unique" },
  { rule: "UNIQUE range: equal after coalescing", constraint: rule("ports", "UNIQUE"), agent: agent("h", { ports: "[1-3]" }), placed: on("ports", "[2-3,1-1]"), refusedBy: "unique" },
  { rule: "UNIQUE set: equal after sorting", constraint: rule("disks", "UNIQUE"), agent: agent("h", { disks: "{b,a}" }), placed: on("disks", "{a,b}"), refusedBy: "unique" },
  { rule: "UNIQUE missing attribute refuses", constraint: rule("rack", "UNIQUE"), agent: noAttrs, refusedBy: "missing" },
  // CLUSTER
  { rule: "CLUSTER hostname, no value: the first instance goes anywhere", constraint: rule("hostname", "CLUSTER"), agent: agent("h2") },
  { rule: "CLUSTER hostname, no value: then the same host", constraint: rule("hostname", "CLUSTER"), agent: agent("h1"), placed: on("hostname", "h1", "h1") },
  { rule: "CLUSTER hostname, no value: not another host", constraint: rule("hostname", "CLUSTER"), agent: agent("h2"), placed: on("hostname", "h1"), refusedBy: "cluster-split" },
  { rule: "CLUSTER hostname with a value: the named host", constraint: rule("hostname", "CLUSTER", "h1"), agent: agent("h1") },
  { rule: "CLUSTER hostname with a value: not another host", constraint: rule("hostname", "CLUSTER", "h1"), agent: agent("h2"), refusedBy: "cluster-value" },
  { rule: "CLUSTER text, no value: the first instance fixes it", constraint: rule("rack", "CLUSTER"), agent: rack("r1"), placed: on("rack", "r1", "r1") },
  { rule: "CLUSTER text, no value: another value is refused", constraint: rule("rack", "CLUSTER"), agent: rack("r2"), placed: on("rack", "r1"), refusedBy: "cluster-split" },
  { rule: "CLUSTER text with a value: placed on an agent lacking it splits the cluster", constraint: rule("rack", "CLUSTER", "r1"), agent: rack("r1"), placed: [rack("r1"), noAttrs], refusedBy: "cluster-split" },
  { rule: "CLUSTER scalar value compares the rendered value (4)", constraint: rule("cores", "CLUSTER", "4"), agent: agent("h", { cores: "4.0" }) },
  { rule: "CLUSTER scalar value is not normalised (4.0 ≠ rendered 4)", constraint: rule("cores", "CLUSTER", "4.0"), agent: agent("h", { cores: "4.0" }), refusedBy: "cluster-value" },
  { rule: "CLUSTER range value", constraint: rule("ports", "CLUSTER", "[1-4]"), agent: agent("h", { ports: "[3-4,1-2]" }) },
  { rule: "CLUSTER set value", constraint: rule("disks", "CLUSTER", "{hdd,ssd}"), agent: agent("h", { disks: "{ssd,hdd}" }) },
  { rule: "CLUSTER missing attribute refuses", constraint: rule("rack", "CLUSTER"), agent: noAttrs, refusedBy: "missing" },
  // GROUP_BY
  { rule: "GROUP_BY: a new group is accepted", constraint: rule("zone", "GROUP_BY"), agent: agent("h", { zone: "c" }), placed: on("zone", "a", "a", "b") },
  { rule: "GROUP_BY: a larger group is refused", constraint: rule("zone", "GROUP_BY"), agent: agent("h", { zone: "a" }), placed: on("zone", "a", "a", "b"), refusedBy: "group-not-smallest" },
  { rule: "GROUP_BY: a smallest group is accepted", constraint: rule("zone", "GROUP_BY"), agent: agent("h", { zone: "b" }), placed: on("zone", "a", "a", "b") },
  { rule: "GROUP_BY 3: fewer groups than 3 refuse an existing group", constraint: rule("zone", "GROUP_BY", "3"), agent: agent("h", { zone: "a" }), placed: on("zone", "a", "b"), refusedBy: "group-too-few" },
  { rule: "GROUP_BY 3: fewer groups than 3 still accept a new group", constraint: rule("zone", "GROUP_BY", "3"), agent: agent("h", { zone: "c" }), placed: on("zone", "a", "b") },
  { rule: "GROUP_BY 3: with 3 groups, a smallest one", constraint: rule("zone", "GROUP_BY", "3"), agent: agent("h", { zone: "b" }), placed: on("zone", "a", "a", "b", "c") },
  { rule: "GROUP_BY 3: with 3 groups, not a larger one", constraint: rule("zone", "GROUP_BY", "3"), agent: agent("h", { zone: "a" }), placed: on("zone", "a", "a", "b", "c"), refusedBy: "group-not-smallest" },
  { rule: "GROUP_BY non-number n counts as 0", constraint: rule("zone", "GROUP_BY", "x"), agent: agent("h", { zone: "a" }), placed: on("zone", "a", "b") },
  { rule: "GROUP_BY negative n counts as 0", constraint: rule("zone", "GROUP_BY", "-2"), agent: agent("h", { zone: "a" }), placed: on("zone", "a", "b") },
  { rule: "GROUP_BY inf needs Int.MaxValue groups", constraint: rule("zone", "GROUP_BY", "inf"), agent: agent("h", { zone: "a" }), placed: on("zone", "a"), refusedBy: "group-too-few" },
  { rule: "GROUP_BY: instances lacking the field are a group (smallest)", constraint: rule("rack", "GROUP_BY"), agent: rack("r1"), placed: [rack("r1"), rack("r1"), noAttrs], refusedBy: "group-not-smallest" },
  { rule: "GROUP_BY 2: instances lacking the field are a group (count)", constraint: rule("rack", "GROUP_BY", "2"), agent: rack("r1"), placed: [rack("r1"), noAttrs] },
  { rule: "GROUP_BY hostname", constraint: rule("hostname", "GROUP_BY"), agent: agent("h1"), placed: on("hostname", "h1", "h2", "h2") },
  { rule: "GROUP_BY scalar values group by rendered value", constraint: rule("cores", "GROUP_BY"), agent: agent("h", { cores: "4.0" }), placed: on("cores", "4", "4", "8"), refusedBy: "group-not-smallest" },
  { rule: "GROUP_BY range values", constraint: rule("ports", "GROUP_BY"), agent: agent("h", { ports: "[1-2]" }), placed: on("ports", "[1-2]", "[3-4]") },
  { rule: "GROUP_BY set values", constraint: rule("disks", "GROUP_BY"), agent: agent("h", { disks: "{b,a}" }), placed: on("disks", "{a,b}", "{a,b}", "{c}"), refusedBy: "group-not-smallest" },
  { rule: "GROUP_BY missing attribute refuses", constraint: rule("zone", "GROUP_BY"), agent: noAttrs, refusedBy: "missing" },
  // MAX_PER
  { rule: "MAX_PER 2: below the limit", constraint: rule("rack", "MAX_PER", "2"), agent: rack("r1"), placed: on("rack", "r1", "r2") },
  { rule: "MAX_PER 2: at the limit", constraint: rule("rack", "MAX_PER", "2"), agent: rack("r1"), placed: on("rack", "r1", "r1"), refusedBy: "max-per" },
  { rule: "MAX_PER 0 still admits a value with none placed (Marathon's forall)", constraint: rule("rack", "MAX_PER", "0"), agent: rack("r1") },
  { rule: "MAX_PER 0 refuses a value with one placed", constraint: rule("rack", "MAX_PER", "0"), agent: rack("r1"), placed: on("rack", "r1"), refusedBy: "max-per" },
  { rule: "MAX_PER hostname", constraint: rule("hostname", "MAX_PER", "1"), agent: agent("h1"), placed: on("hostname", "h1"), refusedBy: "max-per" },
  { rule: "MAX_PER scalar counts the rendered value", constraint: rule("cores", "MAX_PER", "1"), agent: agent("h", { cores: "4.00" }), placed: on("cores", "4"), refusedBy: "max-per" },
  { rule: "MAX_PER value not an int", constraint: rule("rack", "MAX_PER", "2.0"), agent: rack("r1"), refusedBy: "bad-number" },
  { rule: "MAX_PER missing attribute refuses", constraint: rule("rack", "MAX_PER", "2"), agent: noAttrs, refusedBy: "missing" },
  // LIKE
  { rule: "LIKE text matches", constraint: rule("rack", "LIKE", "r[12]"), agent: rack("r1") },
  { rule: "LIKE text does not match", constraint: rule("rack", "LIKE", "r[12]"), agent: rack("r3"), refusedBy: "like" },
  { rule: "LIKE is anchored: a prefix is not enough", constraint: rule("rack", "LIKE", "r"), agent: rack("r1"), refusedBy: "like" },
  { rule: "LIKE is anchored around an alternation", constraint: rule("rack", "LIKE", "r1|r2"), agent: rack("r12"), refusedBy: "like" },
  { rule: "LIKE scalar sees the rendered value", constraint: rule("cores", "LIKE", "4"), agent: agent("h", { cores: "4.0" }) },
  { rule: "LIKE scalar does not see the raw text", constraint: rule("cores", "LIKE", "4\\.0"), agent: agent("h", { cores: "4.0" }), refusedBy: "like" },
  { rule: "LIKE scalar sees grouping commas", constraint: rule("mem", "LIKE", "4,096"), agent: agent("h", { mem: "4096" }) },
  { rule: "LIKE range", constraint: rule("ports", "LIKE", "\\[31000-32000\\]"), agent: agent("h", { ports: "[31000-32000]" }) },
  { rule: "LIKE set", constraint: rule("disks", "LIKE", "\\{hdd,ssd\\}"), agent: agent("h", { disks: "{ssd,hdd}" }) },
  { rule: "LIKE hostname", constraint: rule("hostname", "LIKE", "h[0-9]+"), agent: agent("h12") },
  { rule: "LIKE empty pattern on hostname refuses (no match)", constraint: rule("hostname", "LIKE", ""), agent: agent("h1"), refusedBy: "like" },
  { rule: "LIKE empty pattern on an attribute refuses", constraint: rule("rack", "LIKE", ""), agent: rack("r1"), refusedBy: "empty-regex" },
  { rule: "LIKE invalid pattern refuses", constraint: rule("rack", "LIKE", "("), agent: rack("r1"), refusedBy: "bad-regex" },
  { rule: "LIKE missing attribute refuses", constraint: rule("rack", "LIKE", ".*"), agent: noAttrs, refusedBy: "missing" },
  // UNLIKE
  { rule: "UNLIKE text that matches refuses", constraint: rule("rack", "UNLIKE", "r1"), agent: rack("r1"), refusedBy: "unlike" },
  { rule: "UNLIKE text that does not match", constraint: rule("rack", "UNLIKE", "r1"), agent: rack("r2") },
  { rule: "UNLIKE is anchored: a prefix is not a match", constraint: rule("rack", "UNLIKE", "r"), agent: rack("r1") },
  { rule: "UNLIKE scalar sees the rendered value", constraint: rule("cores", "UNLIKE", "4"), agent: agent("h", { cores: "4.0" }), refusedBy: "unlike" },
  { rule: "UNLIKE range", constraint: rule("ports", "UNLIKE", "\\[1-4\\]"), agent: agent("h", { ports: "[1-2,3-4]" }), refusedBy: "unlike" },
  { rule: "UNLIKE set", constraint: rule("disks", "UNLIKE", "\\{a,b\\}"), agent: agent("h", { disks: "{b,a}" }), refusedBy: "unlike" },
  { rule: "UNLIKE hostname", constraint: rule("hostname", "UNLIKE", "h1"), agent: agent("h1"), refusedBy: "unlike" },
  { rule: "UNLIKE empty pattern on hostname accepts", constraint: rule("hostname", "UNLIKE", ""), agent: agent("h1") },
  { rule: "UNLIKE empty pattern on an attribute refuses", constraint: rule("rack", "UNLIKE", ""), agent: rack("r1"), refusedBy: "empty-regex" },
  { rule: "UNLIKE invalid pattern refuses", constraint: rule("rack", "UNLIKE", "[a"), agent: rack("r1"), refusedBy: "bad-regex" },
  { rule: "UNLIKE missing attribute accepts", constraint: rule("rack", "UNLIKE", "r1"), agent: noAttrs },
  { rule: "UNLIKE missing attribute accepts even an empty pattern", constraint: rule("rack", "UNLIKE", ""), agent: noAttrs },
  // IS
  { rule: "IS text equal", constraint: rule("rack", "IS", "r1"), agent: rack("r1") },
  { rule: "IS text different", constraint: rule("rack", "IS", "r1"), agent: rack("r2"), refusedBy: "is" },
  { rule: "IS scalar: the value is normalised (4.0 = 4)", constraint: rule("cores", "IS", "4.0"), agent: agent("h", { cores: "4" }) },
  { rule: "IS scalar different", constraint: rule("cores", "IS", "4.5"), agent: agent("h", { cores: "4" }), refusedBy: "is" },
  { rule: "IS range", constraint: rule("ports", "IS", "[1-4]"), agent: agent("h", { ports: "[3-4,1-2]" }) },
  { rule: "IS set", constraint: rule("disks", "IS", "{hdd,ssd}"), agent: agent("h", { disks: "{ssd,hdd}" }) },
  { rule: "IS hostname", constraint: rule("hostname", "IS", "h1"), agent: agent("h1") },
  { rule: "IS missing attribute refuses", constraint: rule("rack", "IS", "r1"), agent: noAttrs, refusedBy: "missing" },
];

describe("checkConstraint", () => {
  for (const row of ROWS) {
    test(`${row.rule} → ${row.refusedBy ? `refused (${row.refusedBy})` : "accepted"}`, () => {
      const v = checkConstraint(row.constraint, row.agent, placedOn(row.constraint.field, row.placed ?? []));
      if (row.refusedBy === undefined) {
        assert.equal(v.ok, true, v.ok ? "" : v.message);
      } else {
        assert.equal(v.ok, false, "expected a refusal");
        assert.equal(!v.ok && v.code, "UnfulfilledConstraint");
        assert.equal(!v.ok && v.params.rule, row.refusedBy, !v.ok ? v.message : "");
      }
    });
  }
});

describe("refusal messages", () => {
  test("GROUP_BY names the constraint, the value and the group sizes", () => {
    const v = checkConstraint(rule("zone", "GROUP_BY", "3"), agent("h", { zone: "a" }), placedOn("zone", on("zone", "a", "a", "b", "c")));
    assert.equal(!v.ok && v.message, 'constraint [zone, GROUP_BY, 3]: zone "a" already holds 2, the smallest group holds 1');
  });
  test("a constraint without value is rendered without it", () => {
    const v = checkConstraint(rule("hostname", "UNIQUE"), agent("h1"), placedOn("hostname", on("hostname", "h1")));
    assert.equal(!v.ok && v.message, 'constraint [hostname, UNIQUE]: hostname "h1" already holds 1');
  });
  test("a missing attribute is named", () => {
    const v = checkConstraint(rule("rack", "LIKE", "r.*"), noAttrs, NOTHING_PLACED);
    assert.equal(!v.ok && v.message, 'constraint [rack, LIKE, r.*]: the agent has no attribute "rack"');
  });
  test("the message renders from the parameters alone", () => {
    const v = checkConstraint(rule("rack", "MAX_PER", "1"), rack("r1"), placedOn("rack", on("rack", "r1")));
    assert.ok(!v.ok);
    assert.equal(renderConstraintRefusal(v.params), v.message);
    assert.equal(v.params.constraint, "[rack, MAX_PER, 1]");
    assert.equal(v.params.count, 1);
    assert.equal(v.params.limit, 1);
  });
  test("a refusal is a placement-stack Verdict", () => {
    const v: ConstraintVerdict = checkConstraint(rule("rack", "IS", "r1"), rack("r2"), NOTHING_PLACED);
    const asVerdict: Verdict = v;
    assert.equal(asVerdict.ok, false);
  });
});

describe("checkConstraints", () => {
  test("all must pass: the first refusal is returned", () => {
    const cs = [rule("rack", "LIKE", "r.*"), rule("rack", "UNIQUE"), rule("rack", "IS", "r9")];
    const v = checkConstraints(cs, rack("r1"), placedOn("rack", on("rack", "r1")));
    assert.equal(!v.ok && v.params.rule, "unique");
  });
  test("accepts when every constraint passes", () => {
    assert.equal(checkConstraints([rule("rack", "LIKE", "r.*"), rule("rack", "UNIQUE")], rack("r1"), placedOn("rack", [])).ok, true);
  });
});

describe("constraintScope", () => {
  const rows: Array<[ConstraintRule, string]> = [
    [rule("rack", "LIKE", "r"), "class"],
    [rule("rack", "UNLIKE", "r"), "class"],
    [rule("rack", "IS", "r"), "class"],
    [rule("hostname", "LIKE", "h"), "agent"],
    [rule("hostname", "IS", "h"), "agent"],
    [rule("rack", "CLUSTER", "r1"), "placed"],
    [rule("rack", "UNIQUE"), "placed"],
    [rule("rack", "GROUP_BY"), "placed"],
    [rule("rack", "MAX_PER", "1"), "placed"],
  ];
  for (const [c, scope] of rows) test(`${c.field} ${c.operator} → ${scope}`, () => assert.equal(constraintScope(c), scope));
});

describe("parseJavaInt (Integer.parseInt)", () => {
  const rows: Array<[string, number | undefined]> = [
    ["3", 3],
    ["+3", 3],
    ["-3", -3],
    ["007", 7],
    ["2147483647", 2147483647],
    ["2147483648", undefined],
    ["-2147483648", -2147483648],
    ["3.0", undefined],
    [" 3", undefined],
    ["", undefined],
  ];
  for (const [s, n] of rows) test(`${JSON.stringify(s)} → ${n}`, () => assert.equal(parseJavaInt(s), n));
});
