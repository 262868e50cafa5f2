/**
 * One benchmark "agent": ships the task output under `<workDir>/sandboxes` with the agent's real
 * LogShipper, in a process of its own (as an agent runs), until SIGTERM.
 *
 *   node bench/logs/log-shipper.worker.ts <workDir> <agentId>   (NATS_URL, GANTRY_CLUSTER)
 */
import { startLogShipping } from "@gantry/agent";
import { clusterNames, connectBus, createLogger, infrastructureUrls } from "@gantry/platform";

const [workDir, agentId] = process.argv.slice(2);
if (!workDir || !agentId) throw new Error("usage: log-shipper.worker.ts <workDir> <agentId>");
const bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(process.env.GANTRY_CLUSTER), `bench-${agentId}`);
const shipping = await startLogShipping({ workDir, agentId, hostname: agentId, bus, logger: createLogger("bench-shipper", { level: "warn" }), rescanMs: 500 });
process.stdout.write("shipping\n");
process.once("SIGTERM", () => {
  void shipping.stop().then(() => bus.close()).then(() => process.exit(0));
});
