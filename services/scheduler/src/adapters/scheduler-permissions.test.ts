import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { isAllowed, onApps, RESOURCES, type Permission, type Principal } from "@gantry/platform";
import { schedulerV1 } from "@gantry/proto";
import type { SchedulerState } from "../app/scheduler-state.ts";
import { schedulerPermissions } from "./scheduler-permissions.ts";

const state = {
  instanceOfTask: (id: string) => (id === "t1" ? { appId: "/team-a/x" } : undefined),
  instances: new Map(),
} as unknown as SchedulerState;
const rules = schedulerPermissions(state) as unknown as Record<string, (request: unknown) => Permission | Permission[]>;
const request = (name: string) => create(schedulerV1.SchedulerService.method[name as "listTasks"].input, { appId: "/team-a/x", id: "/team-a/x", taskIds: ["t1", "gone"], agentId: "a1" } as never);

const superuser: Principal = { name: "root", roles: ["admin"] };
const teamA: Principal = { name: "alice", roles: [], grants: [onApps("full", "/team-a")] };
const teamB: Principal = { name: "bob", roles: [], grants: [onApps("full", "/team-b")] };
const operator: Principal = { name: "ops", roles: [], grants: [{ resource: RESOURCES.nodes, action: "full" }, { resource: RESOURCES.events, action: "read" }] };

describe("SchedulerService permissions", () => {
  test("every method has a rule: app methods are their app's, agent methods gantry:nodes, parked messages gantry:events; lists of every app's require nothing", () => {
    const NODES = new Set(["listAgents", "drainAgent", "undrainAgent", "listParkedMessages"]);
    for (const method of schedulerV1.SchedulerService.methods) {
      const rule = rules[method.localName];
      assert.equal(typeof rule, "function", `${method.name} has a rule`);
      const required = rule!(request(method.localName));
      assert.ok(isAllowed(superuser, required), `superuser may ${method.name}`);
      if (method.localName === "listQueue") {
        assert.deepEqual(required, [], "the queue requires nothing (its handler filters)");
        continue;
      }
      if (NODES.has(method.localName)) {
        assert.ok(isAllowed(operator, required) && !isAllowed(teamA, required), `${method.name} is an operator's`);
        continue;
      }
      assert.ok(isAllowed(teamA, required), `team-a may ${method.name} for its app`);
      assert.ok(!isAllowed(teamB, required), `team-b may not ${method.name} for team-a's app`);
      assert.ok(!isAllowed(operator, required), `an operator of nodes may not ${method.name}`);
    }
  });

  test("a kill requires update of the app of every live task named; unknown ids require nothing", () => {
    assert.deepEqual(rules.killTasks!({ taskIds: ["t1", "gone"], instanceIds: [] }), [onApps("update", "/team-a/x")]);
    assert.deepEqual(rules.killTasks!({ taskIds: ["gone"], instanceIds: [] }), []);
  });
});
