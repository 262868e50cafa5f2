import { Command, InvalidArgumentError } from "commander";
import { clusterNames, infrastructureUrls } from "@gantry/platform";
import { gantryHome } from "../client-config.ts";
import { listenForInterruption } from "../interruption.ts";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

/** `gantry up`: runs a single-node cluster in the foreground until Ctrl-C. */
export function upCommand(): Command {
  return new Command("up")
    .description("run a single-node cluster (control plane + one agent) on DATABASE_URL and NATS_URL")
    .option("--host <address>", "interface the gateway listens on", "127.0.0.1")
    .option("--port <port>", "gateway port (HTTP and gRPC); 0 picks a free one", port, 8080)
    .option("--cluster <name>", "cluster name (prefixes every NATS subject and stream)", process.env.GANTRY_CLUSTER ?? "gantry")
    .option("--agent-cpus <n>", "cpus the agent offers (default: the machine's)")
    .option("--agent-mem <mb>", "memory the agent offers, in MB (default: the machine's, less a reserve)")
    .option("--agent-attributes <attrs>", "agent attributes, e.g. rack:r1;zone:a")
    .option("--isolation <mode>", "task isolation: auto, cgroups or none", "auto")
    .action(async (opts: { host: string; port: number; cluster: string; agentCpus?: string; agentMem?: string; agentAttributes?: string; isolation: string }) => {
      clusterNames(opts.cluster);
      const interruption = listenForInterruption({ stopping: "stopping Gantry…", forced: "stopping again: exiting now, tasks may be left running" });
      const urls = infrastructureUrls();
      // Loaded only here: every other command stays quick to start and independent of the services' code.
      const { startSingleNodeCluster } = await import("../up/single-node-cluster.ts");
      const cluster = await startSingleNodeCluster({
        ...urls,
        cluster: opts.cluster,
        host: opts.host,
        port: opts.port,
        gantryHome: gantryHome(),
        agent: {
          isolation: opts.isolation,
          ...(opts.agentCpus ? { cpus: opts.agentCpus } : {}),
          ...(opts.agentMem ? { mem: opts.agentMem } : {}),
          ...(opts.agentAttributes ? { attributes: opts.agentAttributes } : {}),
        },
      });
      if (!interruption.interrupted) {
        process.stdout.write(
          [
            `Gantry is up (cluster "${cluster.cluster}", agent ${cluster.agentId ?? "none"}).`,
            `  gateway (HTTP and gRPC): ${cluster.url}`,
            `  admin token:             ${cluster.token}`,
            "",
            `  export GANTRY_URL=${cluster.url}`,
            `  export GANTRY_TOKEN=${cluster.token}`,
            "Press Ctrl-C to stop every service and task.",
            "",
          ].join("\n"),
        );
      }
      await interruption.requested;
      await cluster.stop();
      interruption.dispose();
      process.stdout.write("Gantry stopped.\n");
    });
}
