import { test } from "node:test";
import assert from "node:assert/strict";
import { checkJsonValue, MAX_JSON_DEPTH } from "./json-body.ts";

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

test("bodies nested up to MAX_JSON_DEPTH pass; one level more is refused", () => {
  assert.equal(checkJsonValue(nested(MAX_JSON_DEPTH)), undefined);
  assert.match(String(checkJsonValue(nested(MAX_JSON_DEPTH + 1))?.error), /nesting deeper/);
});

test("numbers out of double range, lone surrogates and NULs are refused with their JSON pointer", () => {
  assert.deepEqual(checkJsonValue(JSON.parse('{"a":{"b/c":[1, 1e999]}}')), { path: "/a/b~1c/1", error: "error.expected.numberinrange" });
  assert.deepEqual(checkJsonValue({ id: "/x\ud800" }), { path: "/id", error: "error.expected.unicode" });
  assert.deepEqual(checkJsonValue({ ["\udc00"]: 1 }), { path: "/\udc00", error: "error.expected.unicode" });
  assert.deepEqual(checkJsonValue({ env: { ["A\u0000"]: "x" } }), { path: "/env/A\u0000", error: "error.expected.nonul" });
  assert.deepEqual(checkJsonValue({ cmd: "a\u0000b" }), { path: "/cmd", error: "error.expected.nonul" });
  assert.equal(checkJsonValue({ id: "/日本😀", cpus: 1e308, n: null, ok: true }), undefined);
});
