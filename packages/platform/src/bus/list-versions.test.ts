import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ListVersionWatch } from "./list-versions.ts";

describe("ListVersionWatch", () => {
  const announcement = (id: string, version: string) => JSON.stringify({ id, version });

  test("only an announcer's latest version is current, and only while it was heard within trustMs", () => {
    let now = 0;
    const watch = new ListVersionWatch({ trustMs: 1_000, now: () => now });
    watch.heard(announcement("a", "a:1"));
    watch.heard(announcement("b", "b:7"));
    assert.equal(watch.isCurrent("a:1"), true);
    assert.equal(watch.isCurrent("b:7"), true, "announcers are tracked apart");
    watch.heard(announcement("a", "a:2"));
    assert.equal(watch.isCurrent("a:1"), false, "superseded");
    assert.equal(watch.isCurrent("a:2"), true);
    now = 999;
    assert.equal(watch.isCurrent("a:2"), true);
    now = 1_000;
    assert.equal(watch.isCurrent("a:2"), false, "not heard for trustMs");
    watch.heard(announcement("a", "a:2"));
    assert.equal(watch.isCurrent("a:2"), true, "heard again");
    assert.equal(watch.isCurrent(""), false, "an unversioned answer is never current");
  });

  test("malformed announcements are ignored; forget() trusts nothing heard before", () => {
    const watch = new ListVersionWatch();
    for (const text of ["", "not json", "[]", "null", JSON.stringify({ id: 1, version: "x:1" }), JSON.stringify({ id: "x" })]) watch.heard(text);
    assert.equal(watch.isCurrent("x:1"), false);
    watch.heard(announcement("x", "x:1"));
    watch.forget();
    assert.equal(watch.isCurrent("x:1"), false);
  });

  test("announcers gone quiet are dropped once many were heard (restarts do not grow it without bound)", () => {
    let now = 0;
    const watch = new ListVersionWatch({ trustMs: 10, now: () => now });
    for (let i = 0; i < 1_000; i++) {
      now += 20;
      watch.heard(announcement(`p${i}`, `p${i}:1`));
    }
    assert.ok((watch as unknown as { announcers: Map<string, unknown> }).announcers.size <= 65);
    assert.equal(watch.isCurrent("p999:1"), true);
  });
});
