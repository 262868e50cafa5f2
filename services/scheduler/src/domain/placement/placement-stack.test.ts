import { test } from "node:test";
import assert from "node:assert/strict";
import { createPlacementStack } from "./placement-stack.ts";
import type { AgentNode } from "../agent-node.ts";
import type { ResourceAmount } from "../resources.ts";

function agent(agentId: string, total: Partial<ResourceAmount>, extra: Partial<AgentNode> = {}): AgentNode {
  return {
    agentId,
    hostname: `${agentId}.local`,
    total: { cpus: 0, mem: 0, disk: 0, gpus: 0, ...total },
    attributes: {},
    roles: ["*"],
    capabilities: [],
    active: true,
    lastSeenAt: 0,
    ...extra,
  };
}

const needs = { cpus: 1, mem: 256, disk: 0, gpus: 0 };

test("placement rejects each agent with the first failing check and counts reasons", () => {
  const agents = [
    agent("a-cpu", { cpus: 0.5, mem: 4096 }),
    agent("b-mem", { cpus: 4, mem: 128 }),
    agent("c-lost", { cpus: 4, mem: 4096 }, { active: false }),
    agent("d-role", { cpus: 4, mem: 4096 }, { roles: ["slave_public"] }),
    agent("e-gpu", { cpus: 4, mem: 4096 }),
  ];
  const d = createPlacementStack().select(agents, { needs: { ...needs, gpus: 1 }, acceptedRoles: ["*"], free: (id) => agents.find((a) => a.agentId === id)!.total });
  assert.equal(d.agent, undefined);
  assert.deepEqual(d.counts, { InsufficientCpus: 1, InsufficientMemory: 1, AgentInactive: 1, UnmatchedRole: 1, InsufficientGpus: 1 });
  assert.deepEqual(
    d.rejections.map((r) => [r.agentId, r.check, r.code]),
    [
      ["a-cpu", "resources", "InsufficientCpus"],
      ["b-mem", "resources", "InsufficientMemory"],
      ["c-lost", "active", "AgentInactive"],
      ["d-role", "role", "UnmatchedRole"],
      ["e-gpu", "resources", "InsufficientGpus"],
    ],
  );
  assert.match(d.rejections[1]!.message, /needs 256 MB mem, 128 free/);
});

test("placement bin-packs: the agent that would be fullest wins", () => {
  const agents = [agent("big", { cpus: 16, mem: 65536 }), agent("small", { cpus: 2, mem: 1024 })];
  const d = createPlacementStack().select(agents, { needs, acceptedRoles: ["*"], free: (id) => agents.find((a) => a.agentId === id)!.total });
  assert.equal(d.agent?.agentId, "small");
});

test("placement uses free, not total, resources", () => {
  const agents = [agent("busy", { cpus: 2, mem: 1024 }), agent("idle", { cpus: 8, mem: 8192 })];
  const free = (id: string) => (id === "busy" ? { cpus: 0.5, mem: 100, disk: 0, gpus: 0 } : agents[1]!.total);
  const d = createPlacementStack().select(agents, { needs, acceptedRoles: ["*"], free });
  assert.equal(d.agent?.agentId, "idle");
  assert.equal(d.counts.InsufficientCpus, 1);
});
