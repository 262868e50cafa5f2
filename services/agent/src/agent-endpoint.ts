import type { KeyObject } from "node:crypto";
import { agentV1Service } from "@gantry/proto";
import { GantryError } from "@gantry/platform/errors";
import { bindService, createGrpcServer, encodeBytesField, type CallContext } from "@gantry/platform/grpc";
import type { Logger } from "@gantry/platform/logging";
import type { TlsMaterial } from "@gantry/platform/tls";
import { serverCredentials } from "@gantry/platform/tls/grpc";
import { driveExecSession, type ExecOutput } from "./app/exec-session.ts";
import { execTicketGate, type ExecTicket } from "./adapters/exec-ticket.ts";
import { joinArgv } from "./adapters/exec-join.os.ts";
import { startExecProcess } from "./adapters/exec-process.os.ts";
import type { ExecTargetLookup } from "./adapters/exec-targets.fs.ts";

/** What the agent's gRPC endpoint needs. */
export interface AgentEndpointOptions {
  agentId: string;
  /** Where to listen; port 0 picks a free one. */
  host: string;
  port: number;
  /** The host advertised with the bound port (the agent's hostname). */
  advertiseHost: string;
  /** The gateway's exec ticket public key (Ed25519); without it every exec is refused. */
  ticketKey: KeyObject | undefined;
  /** Mutual TLS with the cluster CA (the gateway presents its cluster certificate). */
  tls?: TlsMaterial;
  logger: Logger;
  /** Where an exec into a task runs (see `execTargets`). */
  targetOf(taskId: string): ExecTargetLookup;
}

/** A serving agent endpoint. */
export interface AgentEndpoint {
  /** `host:port` as advertised at registration. */
  endpoint: string;
  /** Sessions open now. */
  sessions(): number;
  /** Ends every session (their processes killed) and stops serving. */
  stop(): Promise<void>;
}

/** HTTP/2 keepalive: a connection silent for 10 s is pinged; no answer within 5 s ends it, and so every session on it. */
const KEEPALIVE = { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5_000, "grpc.keepalive_permit_without_calls": 1, "grpc.http2.min_ping_interval_without_data_ms": 5_000 };

const sameCommand = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const { ExecResponseSchema } = agentV1Service;
const OUTPUT_FIELD = { stdout: ExecResponseSchema.field.stdout.number, stderr: ExecResponseSchema.field.stderr.number };
/** An output message, encoded straight from the chunks read (protobuf-es would copy every byte several times). */
const encodeOutput = (output: ExecOutput) => encodeBytesField(ExecResponseSchema, OUTPUT_FIELD[output.stream], output.parts);

/**
 * Serves `gantry.agent.v1.AgentService` on the agent: Exec only, authenticated by exec tickets
 * the gateway signed (see `execTicketGate`), each good for the ONE session it names. The first
 * message must be `start` and must ask exactly what the ticket grants (task, command, tty,
 * stdin): anything else is PermissionDenied. The command runs in the task's world (its
 * cgroups, namespaces, user, sandbox and environment: `joinArgv`).
 */
export async function startAgentEndpoint(options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const { logger } = options;
  const gate = options.ticketKey ? execTicketGate(options.ticketKey, options.agentId) : { authenticate: () => undefined, take: () => undefined };
  const open = new Set<AbortController>();

  async function* exec(requests: AsyncIterable<agentV1Service.ExecRequest>, ctx: CallContext) {
    const ticket: ExecTicket | undefined = ctx.principal.tokenId ? gate.take(ctx.principal.tokenId) : undefined;
    if (!ticket) throw new GantryError("Unauthenticated", "exec ticket already used or unknown");
    const input = requests[Symbol.asyncIterator]();
    const first = await input.next();
    if (first.done || first.value.message.case !== "start") throw new GantryError("InvalidArgument", "the first message of an exec must be start", { violations: [{ path: "/start", errors: ["required first"] }] });
    const start = first.value.message.value;
    if (start.taskId !== ticket.taskId || !sameCommand(start.command, ticket.command) || start.tty !== ticket.tty || start.stdin !== ticket.stdin) {
      throw new GantryError("PermissionDenied", "the exec asked for differs from the one its ticket grants");
    }
    const found = options.targetOf(start.taskId);
    if (!found.ok) throw new GantryError("NotFound", found.reason);
    const columns = start.size?.columns || 80;
    const rows = start.size?.rows || 24;
    const term = start.term || "xterm-256color";
    const env = start.tty ? { ...found.env, TERM: term } : found.env;
    const proc = await startExecProcess({ argv: joinArgv(found.target, start.command), env, cwd: found.target.sandbox, tty: start.tty, columns, rows, term });
    if (!start.stdin && !start.tty) proc.closeStdin();
    const session = new AbortController();
    open.add(session);
    const onCancel = () => session.abort();
    ctx.signal.addEventListener("abort", onCancel, { once: true });
    const log = logger.child({ session: ticket.sessionId, task: start.taskId, principal: ticket.principal });
    log.info({ command: start.command, tty: start.tty, pid: proc.pid }, "exec session started");
    try {
      yield { message: { case: "started" as const, value: { sessionId: ticket.sessionId, taskId: start.taskId, agentId: options.agentId } } };
      const ended = yield* driveExecSession(proc, input, session.signal, encodeOutput);
      log.info(ended ? { exitCode: ended.exitCode, signal: ended.signal } : { cut: true }, "exec session ended");
    } finally {
      ctx.signal.removeEventListener("abort", onCancel);
      open.delete(session);
      proc.kill("SIGKILL");
    }
  }

  const server = createGrpcServer({
    logger,
    authenticator: gate,
    services: [bindService(agentV1Service.AgentService, { exec }, { exec: () => [] })],
    credentials: serverCredentials(options.tls),
    channelOptions: KEEPALIVE,
  });
  const port = await server.listen(options.host, options.port);
  const endpoint = `${options.advertiseHost.includes(":") ? `[${options.advertiseHost}]` : options.advertiseHost}:${port}`;
  if (!options.ticketKey) logger.warn({ endpoint }, "agent endpoint serving without an exec ticket key: every exec is refused");
  return {
    endpoint,
    sessions: () => open.size,
    async stop() {
      for (const session of open) session.abort();
      await server.shutdown(1_000);
    },
  };
}
