import assert from "node:assert/strict";
import { test } from "node:test";
import { registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import type { SchedulerState } from "./scheduler-state.ts";
import { decodeSnapshot, encodeSnapshot } from "./state-snapshot.ts";
import { appCreated, harness, healthReport, launchedTasks, registration, report } from "./test-harness.ts";

/** Everything placement and recovery read from the state, in a comparable form (agents without the time they were last heard from). */
function essence(state: SchedulerState) {
  const byId = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    instances: byId(state.instances),
    agents: byId(state.agents).map(([id, a]) => [id, { ...a, lastSeenAt: 0 }]),
    free: [...state.agents.keys()].sort().map((id) => [id, state.ledgerOf(id).freeIn(["*"]), state.ledgerOf(id).assignPorts([{ hostPort: 0 }])]),
    counted: [...state.agents.values()].map((a) => [a.agentId, state.constraints.get("/web")?.countedVerdict(a)]),
    backoff: byId(state.backoff),
    deployments: byId(state.deployments),
    versions: byId(state.streamVersions),
    lastStatusSequence: state.lastStatusSequence,
    runSpecs: [...state.runSpecs.keys()].sort(),
  };
}

test("a snapshot taken midway, loaded and followed by the rest of the log, gives the state that folding the whole log gives", async () => {
  // A leader's history: agents, an app with UNIQUE hostname, placements, reports, a health verdict, a crash (backoff), a drain.
  const leader = harness();
  await leader.ready;
  for (const id of ["a1", "a2", "a3"]) await leader.scheduler.onRegistration(registration(id, 4));
  await leader.scheduler.applyLog([appCreated("/web", 2, undefined, [{ field: "hostname", operator: registryV1RunSpec.ConstraintOperator.UNIQUE }])]);
  await leader.settle();
  const [first, second] = leader.sent.flatMap((s) => launchedTasks(s.commands));
  await report(leader, first!);
  await healthReport(leader, first!, false, "HTTP 503 from /health");
  await report(leader, second!, schedulerV1Model.TaskState.FAILED, 1);
  leader.tick(5_000);
  leader.scheduler.tick();
  await leader.settle();
  await leader.scheduler.drainAgent("a3", "maintenance");
  const log = leader.log;
  assert.ok(log.length >= 10, `a history worth splitting (${log.length} events)`);

  for (const cut of [1, Math.floor(log.length / 2), log.length - 1]) {
    const whole = harness({ lead: false, log });
    await whole.scheduler.applyLog(log);

    const before = harness({ lead: false, log });
    await before.scheduler.applyLog(log.slice(0, cut));
    const { data } = encodeSnapshot(before.scheduler.state);
    const restored = harness({ lead: false, log });
    decodeSnapshot(restored.scheduler.state, data, 0);
    await restored.scheduler.applyLog(log.slice(cut));

    assert.deepEqual(essence(restored.scheduler.state), essence(whole.scheduler.state), `snapshot after ${cut} of ${log.length} events`);
  }
});
