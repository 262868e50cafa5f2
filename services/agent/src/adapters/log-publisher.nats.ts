import { create, toBinary } from "@bufbuild/protobuf";
import { logsV1, LOGS_STREAM, logsTaskSubject } from "@gantry/proto";
import { ensureStream, type Bus } from "@gantry/platform/bus";
import { packBlock } from "@gantry/logs/shipping";
import type { TaskLogBatch } from "../app/log-shipper.ts";

/**
 * Publishes task output batches on `<cluster>.logs.task.<agentId>` of the LOGS stream, each as a
 * `gantry.logs.v1.LogBatch` of one chunk (its line block packed: Zstandard-compressed when big
 * enough; one time for every line), with the batch's msg id (JetStream drops a repeat within the
 * stream's duplicate window). Resolves once JetStream acknowledged it; rejects when it did not.
 */
export async function natsLogPublisher(bus: Bus, agentId: string, hostname: string): Promise<(batch: TaskLogBatch) => Promise<void>> {
  await ensureStream(bus, LOGS_STREAM);
  const subject = bus.names.subject(logsTaskSubject(agentId));
  // A batch the shipper publishes again (after a failed publish) is not packed and encoded again.
  const encoded = new WeakMap<TaskLogBatch, Uint8Array>();
  const encode = (b: TaskLogBatch): Uint8Array => {
    // Packed here, on the node: the logs service stores the block as it comes (no per-line work there).
    const packed = packBlock(b.block);
    const message = create(logsV1.LogBatchSchema, {
      agentId,
      hostname,
      chunks: [{ appId: b.task.appId, instanceId: b.task.instanceId, taskId: b.task.taskId, container: b.container, stream: b.stream, timesUnixMicros: [b.time], block: packed.data, blockCodec: packed.codec, lineCount: b.lineCount }],
    });
    return toBinary(logsV1.LogBatchSchema, message);
  };
  return async (b) => {
    let data = encoded.get(b);
    if (!data) encoded.set(b, (data = encode(b)));
    await bus.js.publish(subject, data, { msgID: b.msgId, timeout: 10_000 });
  };
}
