import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { deploymentProblems, describeProblems, runSpecStatus, statusPairs, waitingReason } from "./run-spec-status.ts";

const { PlacementDimension: D } = schedulerV1;

/** An agent that passed the role check and was refused on `dimension` (with `code` and `message`). */
const refusedBy = (agentId: string, dimension: schedulerV1.PlacementDimension, code: string, message = "") => ({
  agentId,
  dimensions: [{ dimension: D.ROLE, ok: true }, { dimension, ok: false, code, message }],
});
type ExplanationInit = MessageInitShape<typeof schedulerV1.PlacementExplanationSchema>;
const waiting = (init: ExplanationInit) => create(schedulerV1.PlacementExplanationSchema, { runSpecId: "/a", waiting: 2, ...init });
const failure = (appId: string, timestamp: string) => create(schedulerV1.TaskFailureSchema, { appId, taskId: `${appId}.1`, state: schedulerV1Model.TaskState.FAILED, message: "exited with code 1", timestamp });

describe("waitingReason", () => {
  const cases: Array<[string, ExplanationInit, string]> = [
    ["backoff first", { delaySecondsLeft: 4.2, agents: [refusedBy("a1", D.MEM, "InsufficientMemory")] }, "launch delayed 5s after failed tasks (backoff)"],
    ["no agent", { agents: [] }, "no agent checked yet: none is registered and reachable (see `gantry node list`)"],
    ["one fits", { agents: [{ agentId: "a1", dimensions: [{ dimension: D.ROLE, ok: true }] }] }, "an agent fits; waiting for the next placement pass"],
    [
      "refusals by code, the most agents first, each with its first message",
      { agents: [refusedBy("a1", D.CONSTRAINT, "UnfulfilledConstraint", "hostname:UNIQUE"), refusedBy("a2", D.GPUS, "InsufficientGpus", "needs 1 gpus, 0 free"), refusedBy("a3", D.GPUS, "InsufficientGpus", "needs 1 gpus, 0 free")] },
      "no agent fits: InsufficientGpus on 2 of 3 agents (needs 1 gpus, 0 free); UnfulfilledConstraint on 1 of 3 agents (hostname:UNIQUE)",
    ],
    ["one agent, no message", { agents: [refusedBy("a1", D.PORTS, "InsufficientPorts")] }, "no agent fits: InsufficientPorts on 1 of 1 agent"],
  ];
  for (const [name, init, expected] of cases) test(name, () => assert.equal(waitingReason(waiting(init)), expected));
});

describe("a run spec's status", () => {
  test("only what there is: no WAITING or LAST FAILURE line without them; tasks of the instances wanted", () => {
    const quiet = runSpecStatus("/a", false, { counts: [create(schedulerV1.AppTaskCountsSchema, { appId: "/a", running: 2, staged: 1, healthy: 2 })], queue: [], failures: [] });
    assert.deepEqual(statusPairs(quiet, 3), [
      ["tasks", "2/3 running, 1 staging, 2 healthy"],
      ["waiting", undefined],
      ["last failure", undefined],
    ]);
    const pod = runSpecStatus("/a", true, { queue: [waiting({ agents: [] })] });
    assert.match(statusPairs(pod, 1)[1]![1]!, /^2 instances: no agent checked yet.*; see `gantry pod debug \/a`$/);
  });
});

describe("deploymentProblems", () => {
  const deployment = { version: "2024-05-01T10:00:00.000Z", affectedApps: ["/a", "/ok"], affectedPods: ["/p"] };

  test("affected run specs that wait, or whose task failed since the deployment began; the others are left out", () => {
    const queue = [waiting({ runSpecId: "/p", pod: true, agents: [] }), waiting({ runSpecId: "/elsewhere", agents: [] })];
    const failures = [failure("/a", "2024-05-01T10:00:05.000Z"), failure("/ok", "2024-05-01T09:59:59.000Z")];
    const problems = deploymentProblems(deployment, queue, failures);
    assert.deepEqual(problems.map((p) => [p.id, p.pod]), [["/a", false], ["/p", true]]);
    assert.deepEqual(problems.flatMap(describeProblems), [
      "/a failed: TASK_FAILED at 2024-05-01T10:00:05.000Z: exited with code 1",
      "/p waits: 2 instances: no agent checked yet: none is registered and reachable (see `gantry node list`); see `gantry pod debug /p`",
    ]);
  });

  test("nothing waits and nothing failed since: no problems", () => {
    assert.deepEqual(deploymentProblems(deployment, [], [failure("/a", "2024-05-01T09:00:00.000Z")]), []);
  });
});
