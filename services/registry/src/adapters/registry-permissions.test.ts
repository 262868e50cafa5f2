import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { isAllowed, onApps, type Principal } from "@gantry/platform";
import { registryV1 } from "@gantry/proto";
import type { RegistryQueries } from "../app/registry.queries.ts";
import { registryPermissions } from "./registry-permissions.ts";

/** A request of any RegistryService method that names something under `path`. */
function requestUnder(method: (typeof registryV1.RegistryService.methods)[number], path: string): object {
  const id = `${path}/x`;
  return create(method.input, {
    id,
    group: path,
    parentId: path,
    definition: { id },
    definitions: [{ id }],
    runSpecs: [{ id, instanceIds: ["i1"] }],
  } as never);
}

const queries = { findDeployment: (id: string) => (id.startsWith("/team-a") ? { affectedApps: [`${id}/app`], affectedPods: [] } : undefined) } as unknown as RegistryQueries;
const rules = registryPermissions(queries) as unknown as Record<string, (request: unknown) => ReturnType<typeof onApps> | ReturnType<typeof onApps>[]>;
const LISTS = new Set(["listApps", "listPods", "listDeployments"]);

const superuser: Principal = { name: "root", roles: ["admin"] };
const teamA: Principal = { name: "alice", roles: [], grants: [onApps("full", "/team-a")] };
const teamB: Principal = { name: "bob", roles: [], grants: [onApps("full", "/team-b")] };
const nobody: Principal = { name: "eve", roles: [] };

describe("RegistryService permissions", () => {
  test("every method has a rule: a superuser may call it; team-a may for team-a's path, team-b and nobody may not (lists require nothing and filter)", () => {
    for (const method of registryV1.RegistryService.methods) {
      const rule = rules[method.localName];
      assert.equal(typeof rule, "function", `${method.name} has a rule`);
      const required = rule!(requestUnder(method, "/team-a"));
      if (LISTS.has(method.localName)) {
        assert.deepEqual(required, [], `${method.name} requires nothing (its handler filters)`);
        continue;
      }
      assert.ok(isAllowed(superuser, required), `superuser may ${method.name}`);
      assert.ok(isAllowed(teamA, required), `team-a may ${method.name} under /team-a`);
      assert.ok(!isAllowed(teamB, required), `team-b may not ${method.name} under /team-a`);
      assert.ok(!isAllowed(nobody, required), `nobody may ${method.name}`);
    }
  });

  test("reads need read, changes need create/update/delete; a dry run of a group update only reads", () => {
    const viewer: Principal = { name: "val", roles: [], grants: [onApps("read", "/team-a")] };
    const allowed = (name: string, extra: object = {}) => isAllowed(viewer, rules[name]!({ ...requestUnder(registryV1.RegistryService.method[name as "getApp"], "/team-a"), ...extra }));
    assert.ok(allowed("getApp") && allowed("getGroup") && allowed("getDeployment"));
    assert.ok(!allowed("createApp") && !allowed("deleteApp") && !allowed("updateGroup") && !allowed("cancelDeployment") && !allowed("killAndScale"));
    assert.ok(allowed("updateGroup", { dryRun: true }));
  });
});
