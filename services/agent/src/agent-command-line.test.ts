import assert from "node:assert/strict";
import { test } from "node:test";
import { AGENT_FLAG_ENV_NAMES, parseAgentCommandLine } from "./agent-command-line.ts";

test("a flag wins over its GANTRY_AGENT_* variable, which fills in for a flag not given", () => {
  const line = parseAgentCommandLine(["--agent-id", "a1", "--work-dir", "/w", "--kill-tasks-on-exit"], { GANTRY_AGENT_ID: "from-env", GANTRY_AGENT_CNI_CONFIG_DIR: "/cni", GANTRY_AGENT_SANDBOX_GC_HOURS: "2" });
  assert.equal(line.raw.agentId, "a1");
  assert.equal(line.raw.workDir, "/w");
  assert.equal(line.raw.cniConfigDir, "/cni");
  assert.equal(line.raw.sandboxGcHours, "2");
  assert.equal(line.raw.cpus, undefined);
  assert.deepEqual([line.killTasksOnExit, line.help, line.natsUrl, line.cluster], [true, false, undefined, undefined]);
});

test("--nats-url and --cluster are the process's own, with no variable of their own", () => {
  const line = parseAgentCommandLine(["--nats-url", "nats://n:4222", "--cluster", "prod", "-h"], {});
  assert.deepEqual([line.natsUrl, line.cluster, line.help, line.killTasksOnExit], ["nats://n:4222", "prod", true, false]);
});

test("every option flag has its variable, named after the flag", () => {
  assert.ok(AGENT_FLAG_ENV_NAMES.includes("GANTRY_AGENT_WORK_DIR"));
  assert.ok(AGENT_FLAG_ENV_NAMES.includes("GANTRY_AGENT_SANDBOX_GC_HOURS"));
  assert.ok(AGENT_FLAG_ENV_NAMES.includes("GANTRY_AGENT_GRPC_LISTEN"));
  assert.equal(AGENT_FLAG_ENV_NAMES.length, 16);
  for (const name of AGENT_FLAG_ENV_NAMES) assert.match(name, /^GANTRY_AGENT_[A-Z_]+$/);
});

test("an unknown flag, or a flag without its value, is refused by name", () => {
  assert.throws(() => parseAgentCommandLine(["--no-such-flag"], {}), /no-such-flag/);
  assert.throws(() => parseAgentCommandLine(["--cpus"], {}), /--cpus/);
});
