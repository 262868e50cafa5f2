import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { createTestCluster, startNatsFaultProxy, within, type NatsFaultProxy } from "@gantry/platform/testing";
import { ensureStatusStream } from "./agent-link.nats.ts";
import { natsStatusSink } from "./status-sink.nats.ts";

const logger = createLogger("status-sink-test", { level: process.env.GANTRY_LOG_LEVEL ?? "silent" });

describe("agent status sink", () => {
  const cluster = createTestCluster();
  let direct: Bus;
  let proxy: NatsFaultProxy;
  let viaProxy: Bus;
  let stream: string;
  const stop = new AbortController();

  before(async () => {
    const natsUrl = new URL(infrastructureUrls().natsUrl);
    direct = await connectBus(infrastructureUrls().natsUrl, cluster.names, "status-sink-test");
    stream = await ensureStatusStream(direct);
    proxy = await startNatsFaultProxy({ targetHost: natsUrl.hostname, targetPort: Number(natsUrl.port || 4222) });
    viaProxy = await connectBus(proxy.url, cluster.names, "status-sink-agent");
  });
  after(async () => {
    stop.abort();
    await viaProxy?.close();
    await proxy?.close();
    await cluster.cleanup(direct.nc);
    await direct?.close();
  });

  const update = (agentId: string, n: number) =>
    create(agentV1.TaskStatusUpdateSchema, { updateId: `${agentId}-u${n}`, taskId: `${agentId}-t${n % 7}`, agentId, state: schedulerV1Model.TaskState.RUNNING, message: String(n) });

  /** The update ids stored on one agent's subject, in stream order. */
  async function stored(agentId: string): Promise<string[]> {
    const { state } = await direct.jsm.streams.info(stream);
    const ids: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await direct.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m?.subject === cluster.names.subject(`agent.status.${agentId}`)) ids.push(fromBinary(agentV1.TaskStatusUpdateSchema, m.data).updateId);
    }
    return ids;
  }

  test("a burst of reports is stored once each, in the order reported, all acknowledged", async () => {
    const sink = natsStatusSink(direct, "burst", logger, stop.signal, { maxInFlight: 64 });
    const reports = Array.from({ length: 300 }, (_, n) => sink.report(update("burst", n)));
    await within("300 acknowledgements", Promise.all(reports), 15_000);
    assert.deepEqual(await stored("burst"), Array.from({ length: 300 }, (_, n) => `burst-u${n}`));
    assert.equal(await sink.drain(1_000), true);
  });

  test("a report whose publish is lost is published again until stored; the reports after it are not stored twice", async () => {
    const sink = natsStatusSink(viaProxy, "lossy", logger, stop.signal, { maxInFlight: 16, publishTimeoutMs: 500 });
    proxy.swallowPublish({ subjectPrefix: cluster.names.subject("agent.status.lossy"), nth: 5 });
    const reports = Array.from({ length: 40 }, (_, n) => sink.report(update("lossy", n)));
    await within("40 acknowledgements despite the lost publish", Promise.all(reports), 15_000);
    assert.equal(proxy.stats.publishesSwallowed, 1, "the fault fired");
    const ids = await stored("lossy");
    assert.deepEqual([...ids].sort(), Array.from({ length: 40 }, (_, n) => `lossy-u${n}`).sort(), "every report stored exactly once");
    assert.deepEqual(ids.filter((id) => id !== "lossy-u4"), Array.from({ length: 40 }, (_, n) => `lossy-u${n}`).filter((id) => id !== "lossy-u4"), "the others in the order reported");
  });
});
