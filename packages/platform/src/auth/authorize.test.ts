import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GantryError } from "../errors/index.ts";
import { ANONYMOUS, authorize, covers, isAllowed, parseResourceId, resourceIdOf, RESOURCES, type Permission } from "./index.ts";

const apps = (action: Permission["action"], path?: string): Permission => ({ resource: RESOURCES.apps, action, ...(path ? { path } : {}) });

describe("permissions", () => {
  test("a grant covers its path and what lies below it by whole segments, for its action or full", () => {
    assert.ok(covers(apps("read", "/team-a"), apps("read", "/team-a")));
    assert.ok(covers(apps("read", "/team-a"), apps("read", "/team-a/web/db")));
    assert.ok(!covers(apps("read", "/team-a"), apps("read", "/team-ab")), "a prefix of a segment is another path");
    assert.ok(!covers(apps("read", "/team-a"), apps("read", "/")), "a subtree grant does not cover the root");
    assert.ok(!covers(apps("read", "/team-a"), apps("update", "/team-a/web")));
    assert.ok(covers(apps("full", "/team-a"), apps("delete", "/team-a/web")));
    assert.ok(covers(apps("read"), apps("read", "/anything")), "no path: every path");
    assert.ok(!covers({ resource: RESOURCES.logs, action: "full" }, apps("read", "/x")), "another resource");
    assert.ok(covers({ resource: RESOURCES.superuser, action: "full" }, { resource: RESOURCES.iam, action: "delete" }));
    assert.ok(!covers({ resource: RESOURCES.superuser, action: "read" }, { resource: RESOURCES.iam, action: "delete" }));
  });

  test("resource ids parse and print as operators write them; bad ones are refused with the reason", () => {
    assert.deepEqual(parseResourceId("gantry:apps:/team-a/"), { resource: "gantry:apps", path: "/team-a" });
    assert.deepEqual(parseResourceId("gantry:tasks:exec:/team-a"), { resource: "gantry:tasks:exec", path: "/team-a" });
    assert.deepEqual(parseResourceId("gantry:apps:/"), { resource: "gantry:apps" });
    assert.deepEqual(parseResourceId("gantry:nodes"), { resource: "gantry:nodes" });
    assert.equal(resourceIdOf({ resource: RESOURCES.logs, path: "/team-b" }), "gantry:logs:read:/team-b");
    assert.throws(() => parseResourceId("gantry:widgets"), /unknown resource "gantry:widgets"/);
    assert.throws(() => parseResourceId("gantry:nodes:/a"), /takes no path/);
  });
});

describe("authorize", () => {
  test("admin may do anything; viewer may read apps but not change them", () => {
    for (const action of ["create", "delete", "read"] as const) assert.doesNotThrow(() => authorize({ name: "root", roles: ["admin"] }, apps(action, "/web")));
    assert.doesNotThrow(() => authorize({ name: "root", roles: ["admin"] }, { resource: RESOURCES.iam, action: "full" }));
    const viewer = { name: "val", roles: ["viewer"] };
    assert.doesNotThrow(() => authorize(viewer, apps("read", "/web")));
    assert.throws(() => authorize(viewer, apps("create", "/web")), (err: unknown) => err instanceof GantryError && err.code === "PermissionDenied");
    assert.equal(isAllowed(viewer, { resource: RESOURCES.iam, action: "read" }), false);
  });

  test("grants of a principal are path-scoped: team-a's user may not touch team-b", () => {
    const alice = { name: "alice", roles: [], grants: [apps("full", "/team-a")] };
    assert.doesNotThrow(() => authorize(alice, [apps("update", "/team-a/web"), apps("read", "/team-a")]));
    assert.throws(() => authorize(alice, [apps("update", "/team-a/web"), apps("update", "/team-b/web")]), /may not update gantry:apps:\/team-b\/web/);
    assert.equal(isAllowed(alice, apps("read", "/team-b")), false);
  });

  test("no role, unknown roles and anonymous may do nothing; the error names principal, action and resource", () => {
    for (const principal of [{ name: "eve", roles: [] }, { name: "eve", roles: ["operator", "Admin"] }, ANONYMOUS]) {
      assert.throws(
        () => authorize(principal, apps("read", "/web")),
        (err: unknown) => {
          assert.ok(err instanceof GantryError);
          assert.equal(err.code, "PermissionDenied");
          assert.equal(err.message, `principal "${principal.name}" may not read gantry:apps:/web`);
          assert.deepEqual(err.details, { principal: principal.name, action: "read", resource: "gantry:apps:/web" });
          return true;
        },
      );
    }
  });
});
