import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "../errors/index.ts";
import { ANONYMOUS, authorize, isAllowed } from "./index.ts";

test("admin may do anything", () => {
  for (const action of ["createApp", "deleteApp", "readApp", "exec"]) {
    assert.doesNotThrow(() => authorize({ name: "root", roles: ["admin"] }, action, "/apps/web"));
  }
});

test("viewer may only read", () => {
  const viewer = { name: "val", roles: ["viewer"] };
  assert.doesNotThrow(() => authorize(viewer, "read", "/apps"));
  assert.doesNotThrow(() => authorize(viewer, "readApp", "/apps/web"));
  assert.throws(() => authorize(viewer, "createApp", "/apps/web"), (err: unknown) => err instanceof GantryError && err.code === "PermissionDenied");
  assert.equal(isAllowed(viewer, "deleteApp"), false);
});

test("no role, unknown roles and anonymous may do nothing; the error names principal, action and resource", () => {
  for (const principal of [{ name: "eve", roles: [] }, { name: "eve", roles: ["operator", "Admin"] }, ANONYMOUS]) {
    assert.throws(
      () => authorize(principal, "readApp", "/apps/web"),
      (err: unknown) => {
        assert.ok(err instanceof GantryError);
        assert.equal(err.code, "PermissionDenied");
        assert.match(err.message, new RegExp(`${principal.name}.*readApp.*/apps/web`));
        assert.deepEqual({ ...err.details, roles: undefined }, { principal: principal.name, action: "readApp", resource: "/apps/web", roles: undefined });
        return true;
      },
    );
  }
});
