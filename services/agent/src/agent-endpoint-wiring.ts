import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "@gantry/platform/logging";
import type { TlsMaterial } from "@gantry/platform/tls";
import type { AgentOptions } from "./domain/index.ts";
import { osUserDirectory } from "./adapters/users.os.ts";
import { processEnvironment } from "./adapters/proc-environ.os.ts";
import { execTicketPublicKey } from "./adapters/exec-ticket.ts";
import { execTargets } from "./adapters/exec-targets.fs.ts";
import { startAgentEndpoint, type AgentEndpoint } from "./agent-endpoint.ts";

/**
 * Starts the agent's gRPC endpoint as its options say (undefined when `--grpc-listen off`):
 * the ticket key given (in-process `gantry up`) or read from `--exec-key-file`, exec targets
 * from the work directory's checkpoints of the tasks `isRunning` names. Throws when the key
 * file cannot be read or holds no Ed25519 public key, or the address cannot be bound.
 */
export async function startExecEndpoint(options: AgentOptions, deps: { logger: Logger; isRunning: (taskId: string) => boolean; ticketKey?: KeyObject; tls?: TlsMaterial }): Promise<AgentEndpoint | undefined> {
  const settings = options.endpoint;
  if (!settings) return undefined;
  const file = settings.ticketKeyFile;
  const ticketKey = deps.ticketKey ?? (file ? execTicketPublicKey(readFileSync(file, "utf8"), `--exec-key-file ${file}`) : undefined);
  const endpoint = await startAgentEndpoint({
    agentId: options.agentId,
    host: settings.host,
    port: settings.port,
    // A wildcard address is reached by the agent's hostname; any other as it was given.
    advertiseHost: settings.host === "0.0.0.0" || settings.host === "::" ? options.hostname : settings.host,
    ticketKey,
    ...(deps.tls ? { tls: deps.tls } : {}),
    logger: deps.logger.child({ component: "agent-endpoint" }),
    targetOf: execTargets(options.workDir, osUserDirectory(), deps.isRunning, processEnvironment),
  });
  deps.logger.info({ endpoint: endpoint.endpoint, exec: ticketKey !== undefined }, "agent gRPC endpoint serving");
  return endpoint;
}
