import assert from "node:assert/strict";
import { test } from "node:test";
import { dataDirLayout } from "./data-dir.ts";
import { AGENT_NODE_FLAGS } from "@gantry/agent";
import { localAgentCommand, localAgentPorts } from "./local-agents.ts";

test("localAgentPorts: the agents share 31000-32000 without overlap", () => {
  assert.equal(localAgentPorts(1, 1), "31000-32000");
  assert.deepEqual([1, 2, 3].map((i) => localAgentPorts(i, 3)), ["31000-31332", "31333-31665", "31666-31998"]);
});

test("localAgentCommand: the agent's main under its Node flags, with its id, work dir, agent:<i> attribute, ports, NATS, cluster, and tasks killed on exit", () => {
  const command = localAgentCommand(2, { count: 2, cluster: "demo", natsUrl: "nats://127.0.0.1:4333", layout: dataDirLayout("/d"), settings: { attributes: "rack:r1", isolation: "none", cpus: "2" } });
  assert.equal(command[0], process.execPath);
  const main = command.findIndex((a) => /services\/agent\/src\/main\.ts$/.test(a));
  assert.deepEqual(command.slice(1, main), AGENT_NODE_FLAGS);
  const flag = (name: string) => command[command.indexOf(name) + 1];
  assert.equal(flag("--agent-id"), "agent-2");
  assert.equal(flag("--work-dir"), "/d/agents/2");
  assert.equal(flag("--attributes"), "rack:r1;agent:2");
  assert.equal(flag("--ports"), "31500-31999");
  assert.equal(flag("--nats-url"), "nats://127.0.0.1:4333");
  assert.equal(flag("--cluster"), "demo");
  assert.equal(flag("--isolation"), "none");
  assert.equal(flag("--cpus"), "2");
  assert.ok(!command.includes("--mem"), "no --mem when not given: the agent's default");
  assert.equal(command.at(-1), "--kill-tasks-on-exit");
});
