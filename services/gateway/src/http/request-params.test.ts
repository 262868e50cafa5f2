import { test } from "node:test";
import assert from "node:assert/strict";
import { GantryError } from "@gantry/platform";
import { booleanParam, canonicalId, embedParam, requireArrayOfObjects, requireObjectBody } from "./request-params.ts";

test("boolean params read as JAX-RS Boolean.valueOf, with the endpoint's default when absent", () => {
  assert.equal(booleanParam({}, "force", true), true);
  assert.equal(booleanParam({}, "force", false), false);
  assert.equal(booleanParam({ force: "TRUE" }, "force", false), true);
  assert.equal(booleanParam({ force: "1" }, "force", true), false);
  assert.equal(booleanParam({ force: "" }, "force", true), false);
  assert.equal(booleanParam({ force: ["false", "true"] }, "force", false), true);
});

test("embed is repeatable and comma-separable", () => {
  assert.deepEqual([...embedParam({ embed: ["apps.tasks", "apps.counts,apps.readiness"] })], ["apps.tasks", "apps.counts", "apps.readiness"]);
  assert.equal(embedParam({}).size, 0);
});

test("canonical ids drop empty segments; the empty id is the root", () => {
  assert.equal(canonicalId("//a//b/"), "/a/b");
  assert.equal(canonicalId(""), "/");
});

test("bodies of the wrong JSON type are 400 Invalid JSON with Play's error code", () => {
  for (const body of [undefined, null, 3, "x", [1]]) {
    assert.throws(() => requireObjectBody(body), (e: unknown) => e instanceof GantryError && e.details.kind === "json" && e.violations[0]!.errors[0] === "error.expected.jsobject");
  }
  assert.deepEqual(requireObjectBody({ a: 1 }), { a: 1 });
  assert.throws(() => requireArrayOfObjects({}), (e: unknown) => e instanceof GantryError && e.violations[0]!.errors[0] === "error.expected.jsarray");
  assert.throws(() => requireArrayOfObjects([{}, 2]), (e: unknown) => e instanceof GantryError && e.violations[0]!.path === "/1");
});
