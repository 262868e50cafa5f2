import assert from "node:assert/strict";
import { test } from "node:test";
import { VersionHistory } from "./version-history.ts";

test("versions newest first; at() reads the past; a deletion ends the listed versions", () => {
  const h = new VersionHistory<string>();
  h.record("2026-01-01T00:00:01.000Z", "one");
  h.record("2026-01-01T00:00:03.000Z", "three");
  h.record("2026-01-01T00:00:02.000Z", "two");
  assert.deepEqual(h.versions(), ["2026-01-01T00:00:03.000Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:01.000Z"]);
  assert.equal(h.at("2026-01-01T00:00:02.500Z"), "two");
  assert.equal(h.at("2026-01-01T00:00:00.000Z"), undefined);
  h.record("2026-01-01T00:00:04.000Z", undefined);
  assert.equal(h.current(), undefined);
  assert.deepEqual(h.versions(), []);
  h.record("2026-01-01T00:00:05.000Z", "again");
  assert.deepEqual(h.versions(), ["2026-01-01T00:00:05.000Z"]);
  assert.equal(h.at("2026-01-01T00:00:03.500Z"), "three");
});
