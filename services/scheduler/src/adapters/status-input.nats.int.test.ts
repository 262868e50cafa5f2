import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { connectBus, createLogger, infrastructureUrls, messageHeaders, type Bus } from "@gantry/platform";
import { createTestCluster, eventually, startNatsFaultProxy, type NatsFaultProxy } from "@gantry/platform/testing";
import { ensureAgentStatusStream } from "./agent-link.nats.ts";
import { consumeStatusReports, type StatusRecorder } from "./status-input.nats.ts";

const cluster = createTestCluster();
let proxy: NatsFaultProxy;
let bus: Bus;

before(async () => {
  const nats = new URL(infrastructureUrls().natsUrl);
  proxy = await startNatsFaultProxy({ targetHost: nats.hostname, targetPort: Number(nats.port) });
  bus = await connectBus(proxy.url, cluster.names, "status-input-test");
});

after(async () => {
  await bus?.close();
  await proxy?.close();
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  await cluster.cleanup(nc).finally(() => nc.close());
});

test("the status reader outlives a consumer creation JetStream never answers, and records every report once, in order", { timeout: 30_000 }, async () => {
  const stream = await ensureAgentStatusStream(bus);
  for (const taskId of ["t1", "t2", "t3"]) {
    const update = create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING, updateId: `u-${taskId}` });
    await bus.js.publish(cluster.names.subject("agent.status.a1"), toBinary(agentV1.TaskStatusUpdateSchema, update), { headers: messageHeaders({ "Gantry-Task-Id": taskId }) });
  }
  const recorded: { taskId: string; sequence: bigint }[] = [];
  const recorder: StatusRecorder = {
    onTaskStatus: async (update, sequence) => void recorded.push({ taskId: update.taskId, sequence }),
    onTaskStatuses: async (reports) => void recorded.push(...reports.map((r) => ({ taskId: r.update.taskId, sequence: r.sequence }))),
  };
  // As a NATS 2.9 cluster that lost a server may do: the reader's consumer is never created, and no answer comes.
  proxy.swallowPublish({ subjectPrefix: "$JS.API.CONSUMER.CREATE.", nth: 1 });
  const term = new AbortController();
  let failure: unknown;
  const reading = consumeStatusReports(bus, stream, recorder, 2n, createLogger("status-input-test", { level: "silent" }), term.signal).catch((err: unknown) => (failure = err));
  try {
    await eventually("reports 2 and 3 recorded", () => failure === undefined && recorded.length >= 2, 20_000);
    assert.equal(proxy.stats.publishesSwallowed, 1, "the first consumer creation was lost");
    assert.deepEqual(recorded, [{ taskId: "t2", sequence: 2n }, { taskId: "t3", sequence: 3n }]);
  } finally {
    term.abort();
    await reading;
  }
  assert.equal(failure, undefined, "the reader never failed");
});

test("reports that arrived together are recorded at once, never held back until a later report comes", { timeout: 60_000 }, async () => {
  const stream = await ensureAgentStatusStream(bus);
  const info = await bus.jsm.streams.info(stream);
  const from = BigInt(info.state.last_seq) + 1n;
  const recorded: string[] = [];
  const recorder: StatusRecorder = {
    onTaskStatus: async (update) => void recorded.push(update.taskId),
    // Slow enough that reports pile up in the consumer while a batch is written (pulls renewed among them).
    onTaskStatuses: async (reports) => {
      await new Promise((r) => setTimeout(r, 3));
      recorded.push(...reports.map((r) => r.update.taskId));
    },
  };
  const term = new AbortController();
  const reading = consumeStatusReports(bus, stream, recorder, from, createLogger("status-input-test", { level: "silent" }), term.signal);
  try {
    let published = 0;
    for (let burst = 0; burst < 12; burst++) {
      const size = 150 + burst * 37;
      await Promise.all(
        Array.from({ length: size }, (_, i) => {
          const taskId = `burst-${burst}-${i}`;
          const update = create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING, updateId: `u-${taskId}` });
          return bus.js.publish(cluster.names.subject("agent.status.a1"), toBinary(agentV1.TaskStatusUpdateSchema, update), { headers: messageHeaders({ "Gantry-Task-Id": taskId }) });
        }),
      );
      published += size;
      // Nothing more is published until this burst is recorded: a reader holding reports back for a later one waits here.
      await eventually(`burst ${burst} recorded (${published} reports)`, () => recorded.length === published, 8_000);
    }
  } finally {
    term.abort();
    await reading;
  }
});
