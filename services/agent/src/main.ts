/**
 * The agent process: `node services/agent/src/main.ts [flags]`. Reads flags (falling back to
 * GANTRY_AGENT_* environment variables), connects to NATS (NATS_URL, cluster GANTRY_CLUSTER),
 * starts the agent. SIGTERM/SIGINT stop it WITHOUT killing tasks (an agent restart re-attaches);
 * `--kill-tasks-on-exit` kills them instead.
 */
import { connectBus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { secretsKeyFromEnv } from "@gantry/platform/secrets";
import { tlsFromEnv } from "@gantry/platform/tls";
import { createLogger } from "@gantry/platform/logging";
import { AGENT_USAGE, parseAgentCommandLine } from "./agent-command-line.ts";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent } from "./agent-service.ts";

async function main(): Promise<void> {
  const commandLine = parseAgentCommandLine(process.argv.slice(2));
  if (commandLine.help) {
    console.log(AGENT_USAGE);
    return;
  }
  const options = compileAgentOptions(commandLine.raw);
  const logger = createLogger("agent");
  // Mutual TLS with the cluster's NATS when GANTRY_TLS_*_FILE name the agent's certificate.
  const bus = await connectBus(commandLine.natsUrl ?? infrastructureUrls().natsUrl, clusterNames(commandLine.cluster), `agent/${options.agentId}`, tlsFromEnv());
  // Secrets sealed into run specs are opened with the cluster's secrets key (GANTRY_SECRETS_KEY_FILE).
  const secretsKey = secretsKeyFromEnv();
  // The gRPC endpoint (exec) is mutual TLS with the cluster CA too when the agent has a certificate.
  const tls = tlsFromEnv();
  const agent = await startAgent(options, { bus, logger, ...(secretsKey ? { secretsKey } : {}), ...(tls ? { tls } : {}) });
  logger.info({ agent: agent.agentId, workDir: options.workDir, resources: options.resources, gpus: options.gpus.length }, "agent started");
  const shutdown = async () => {
    await agent.stop({ killTasks: commandLine.killTasksOnExit });
    await bus.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
