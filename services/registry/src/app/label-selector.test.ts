import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "@gantry/platform";
import { matchesLabelSelector, parseLabelSelector } from "./label-selector.ts";

const labels = { tier: "front", env: "prod" };
const matches = (s: string) => matchesLabelSelector(parseLabelSelector(s), labels);

test("Marathon's label selector terms, comma = AND, commas inside sets", () => {
  assert.equal(matches("tier"), true);
  assert.equal(matches("nope"), false);
  assert.equal(matches("tier==front"), true);
  assert.equal(matches("tier!=front"), false);
  assert.equal(matches("env in (dev, prod)"), true);
  assert.equal(matches("env notin (dev,prod)"), false);
  assert.equal(matches("tier==front,env in (dev,prod)"), true);
  assert.equal(matches("tier==front,env==dev"), false);
  assert.equal(matches("nope!=x"), false, "every term needs the key");
  assert.throws(() => parseLabelSelector("a b c"), GantryError);
});
