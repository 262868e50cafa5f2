import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RenderedBodies } from "./rendered-bodies.ts";

describe("rendered bodies", () => {
  test("a body made of the same objects is not rendered again; other objects render it anew", () => {
    const bodies = new RenderedBodies();
    let renders = 0;
    const apps = [{ id: "/a" }];
    const render = () => (renders++, { apps });
    const first = bodies.get("apps", [apps, undefined], render);
    assert.equal(first.bytes.toString(), '{"apps":[{"id":"/a"}]}');
    assert.match(first.etag, /^"[A-Za-z0-9+/=]+"$/);
    assert.equal(bodies.get("apps", [apps, undefined], render), first);
    assert.equal(renders, 1);
    const changed = [{ id: "/b" }];
    assert.equal(bodies.get("apps", [changed, undefined], () => (renders++, { apps: changed })).bytes.toString(), '{"apps":[{"id":"/b"}]}');
    assert.equal(renders, 2);
  });

  test("bounded: the oldest names are forgotten", () => {
    const bodies = new RenderedBodies(2);
    let renders = 0;
    const inputs = [{}];
    for (const name of ["a", "b", "c", "a"]) bodies.get(name, inputs, () => (renders++, {}));
    assert.equal(renders, 4, "'a' was forgotten when 'c' came");
  });
});
