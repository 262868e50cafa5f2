import type { Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
import { LogShipper } from "./app/log-shipper.ts";
import { fsLogFiles } from "./adapters/log-files.fs.ts";
import { natsLogPublisher } from "./adapters/log-publisher.nats.ts";
import { startComponentLogShipping } from "@gantry/logs/shipping";

/** A running task-output shipper. */
export interface RunningLogShipping {
  shipper: LogShipper;
  stop(): Promise<void>;
}

/**
 * Starts shipping the output of every task in `<workDir>/sandboxes` that belongs to `agentId`
 * (see LogShipper), and the agent's own log lines (component `agent`, with its id). Rejects when
 * the LOGS stream cannot be declared.
 */
export async function startLogShipping(options: { workDir: string; agentId: string; hostname: string; bus: Bus; logger: Logger; rescanMs?: number; keepBytes?: number }): Promise<RunningLogShipping> {
  const publish = await natsLogPublisher(options.bus, options.agentId, options.hostname);
  const shipper = new LogShipper(options.agentId, {
    ...fsLogFiles(options.workDir, options.agentId, options.keepBytes),
    publish,
    logger: options.logger.child({ part: "log-shipper" }),
    now: Date.now,
  });
  shipper.start(options.rescanMs);
  const own = await startComponentLogShipping({ bus: options.bus, component: "agent" });
  return {
    shipper,
    async stop() {
      await shipper.stop();
      await own.stop();
    },
  };
}
