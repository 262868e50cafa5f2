import type { agentV1 } from "@gantry/proto";
import type { Logger } from "@gantry/platform/logging";
import type { SchedulerEpoch } from "../domain/index.ts";

/**
 * Applies the scheduler epoch rule to one command batch (real and simulated agents alike):
 * true when its commands may run. A refused batch is logged once, as a warning naming both
 * epochs, and none of its commands runs. An accepted batch of a newer epoch calls `onRaised`
 * (the real agent persists it) before any of its commands runs.
 */
export function admitCommandBatch(epoch: SchedulerEpoch, batch: agentV1.AgentCommands, logger: Logger, onRaised: (epoch: bigint) => void = () => {}): boolean {
  const verdict = epoch.admit(batch.logId, batch.epoch);
  if (!verdict.ok) {
    logger.warn(
      { batchEpoch: String(verdict.epoch), highestEpoch: String(verdict.highest), batchLog: batch.logId || undefined, log: epoch.logId || undefined, commands: batch.commands.length, traceparent: batch.traceparent || undefined },
      `command batch of scheduler epoch ${verdict.epoch} refused: ${verdict.reason}`,
    );
    return false;
  }
  if (verdict.raised) {
    logger.info({ epoch: String(batch.epoch) }, "newer scheduler epoch seen in a command batch");
    onRaised(batch.epoch);
  }
  return true;
}
