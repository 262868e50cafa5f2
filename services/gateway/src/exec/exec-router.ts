import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { agentV1Service, schedulerV1, schedulerV1Model } from "@gantry/proto";
import { authorize, bindService, createGrpcClient, encodeBytesField, GantryError, grantsOf, onPath, RESOURCES, type CallContext, type GrpcClient, type Permission, type ServiceBinding } from "@gantry/platform";
import type { ExecAudit, ExecSessionRecord } from "./exec-audit.ts";
import type { ExecTicketSigner } from "./exec-ticket-signer.ts";

/**
 * HTTP/2 receive window of the channels that carry a session's output: HTTP/2's default 64 KiB
 * would stall every 64 KiB output message for a window update (a `cat` of a large file).
 */
export const EXEC_CHANNEL_OPTIONS = {
  "grpc-node.flow_control_window": 8 << 20,
  // A dead agent (or the network to it) is noticed within 15 s: the session ends as cut.
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
};

/** The method every exec refusal names. */
export const EXEC_METHOD = `/${agentV1Service.AgentService.typeName}/Exec`;

/** What the gateway's exec routing needs. */
export interface ExecRouterDeps {
  scheduler: GrpcClient<typeof schedulerV1.SchedulerService>;
  /** The gateway's own credentials for its look-ups (tasks and agents), which callers may not be allowed to list. */
  lookupToken(): string;
  signer: ExecTicketSigner;
  audit: ExecAudit;
  /** Towards the agents (mutual TLS with the cluster CA when the cluster runs with TLS). */
  agentCredentials?: ChannelCredentials;
}

/** Where a session goes: the task (its app), and its agent's endpoint. */
export interface ExecRoute {
  task: schedulerV1Model.Task;
  agentId: string;
  endpoint: string;
}

type Start = agentV1Service.ExecStart;

const { ExecResponseSchema } = agentV1Service;
const OUTPUT_FIELD = { stdout: ExecResponseSchema.field.stdout.number, stderr: ExecResponseSchema.field.stderr.number };

/** The gateway's exec routing: as a gRPC service, and as the same session for other transports (the WebSocket). */
export interface ExecRouter {
  binding: ServiceBinding;
  /** One session: the requests (start first) in, the responses out; throws GantryError like the gRPC method. */
  run(requests: AsyncIterable<agentV1Service.ExecRequest>, ctx: CallContext): AsyncIterable<agentV1Service.ExecResponse | MessageInitShape<typeof agentV1Service.ExecResponseSchema>>;
  /** Throws PermissionDenied (recorded) when the caller may exec into no task at all. */
  checkMayExec(ctx: CallContext): void;
  close(): void;
}

/** Checks a start message; InvalidArgument naming each bad field. */
function checkStart(first: IteratorResult<agentV1Service.ExecRequest>): Start {
  if (first.done || first.value.message.case !== "start") {
    throw new GantryError("InvalidArgument", "the first message of an exec must be start", { violations: [{ path: "/start", errors: ["must be the first message"] }] });
  }
  const start = first.value.message.value;
  const violations = [];
  if (start.taskId.trim() === "") violations.push({ path: "/start/taskId", errors: ["must name a task (its full id)"] });
  if (start.command.length === 0 || start.command[0] === "") violations.push({ path: "/start/command", errors: ["must name a command"] });
  if (violations.length > 0) throw new GantryError("InvalidArgument", `invalid exec: ${violations.map((v) => `${v.path} ${v.errors[0]}`).join("; ")}`, { violations });
  return start;
}

/**
 * The gateway's `gantry.agent.v1.AgentService`: each Exec is authenticated (the pipeline), its
 * task resolved through the scheduler (task → agent → endpoint, with the gateway's own lookup
 * credentials), authorised (`gantry:tasks:exec:<app path> create`; a refusal is recorded as an
 * AccessDenied event), recorded (ExecSessionStarted, before the agent is called), and then
 * proxied message by message to the task's agent with a one-session ticket. The end is recorded
 * with the exit code, or with why the session was cut. Clients are kept one per agent endpoint.
 */
export function execRouter(deps: ExecRouterDeps): ExecRouter {
  const agents = new Map<string, GrpcClient<typeof agentV1Service.AgentService>>();
  const agentAt = (endpoint: string) => {
    let client = agents.get(endpoint);
    if (!client) {
      client = createGrpcClient(agentV1Service.AgentService, endpoint, { channelOptions: EXEC_CHANNEL_OPTIONS, ...(deps.agentCredentials ? { credentials: deps.agentCredentials } : {}) });
      agents.set(endpoint, client);
    }
    return client;
  };

  /** Authorises `required`; a refusal is logged and recorded (AccessDenied) before it is thrown. */
  function enforce(ctx: CallContext, required: Permission): void {
    try {
      authorize(ctx.principal, required);
    } catch (err) {
      if (err instanceof GantryError) {
        const d = err.details as { action: string; resource: string };
        ctx.logger.warn({ principal: ctx.principal.name, denied: err.details }, "permission denied");
        deps.audit.denied(ctx, { principal: ctx.principal.name, action: d.action, resource: d.resource, method: EXEC_METHOD });
      }
      throw err;
    }
  }

  /** Refuses (and records) a caller who may exec nowhere, before anything is looked up (or revealed). */
  function checkMayExec(ctx: CallContext): void {
    const somewhere = grantsOf(ctx.principal).some((g) => g.resource === RESOURCES.superuser || (g.resource === RESOURCES.tasksExec && (g.action === "create" || g.action === "full")));
    if (!somewhere) enforce(ctx, onPath(RESOURCES.tasksExec, "create"));
  }

  async function route(start: Start, ctx: CallContext): Promise<ExecRoute> {
    checkMayExec(ctx);
    const lookup = { metadata: { authorization: `Bearer ${deps.lookupToken()}` }, signal: ctx.signal };
    // Both look-ups at once (the agents' list is small): one round trip to the scheduler, not two.
    const [{ tasks }, { agents: list }] = await Promise.all([deps.scheduler.listTasks({}, lookup), deps.scheduler.listAgents({}, lookup)]);
    const task = tasks.find((t) => t.taskId === start.taskId);
    if (!task) throw new GantryError("NotFound", `task ${start.taskId} is not running`);
    enforce(ctx, onPath(RESOURCES.tasksExec, "create", task.appId));
    if (task.state !== schedulerV1Model.TaskState.RUNNING) throw new GantryError("FailedPrecondition", `task ${task.taskId} is ${schedulerV1Model.TaskState[task.state]}, not running`);
    const agent = list.find((a) => a.agentId === task.agentId);
    if (!agent?.grpcEndpoint) throw new GantryError("Unavailable", `agent ${task.agentId} of task ${task.taskId} serves no exec endpoint`);
    return { task, agentId: agent.agentId, endpoint: agent.grpcEndpoint };
  }

  async function* exec(requests: AsyncIterable<agentV1Service.ExecRequest>, ctx: CallContext) {
    const input = requests[Symbol.asyncIterator]();
    const start = checkStart(await input.next());
    const t0 = performance.now();
    const { task, agentId, endpoint } = await route(start, ctx);
    const session: ExecSessionRecord = { sessionId: randomUUID(), principal: ctx.principal.name, taskId: task.taskId, appId: task.appId, agentId, command: start.command, tty: start.tty, stdin: start.stdin };
    const t1 = performance.now();
    const ticket = await deps.signer.sign({ ...session });
    await deps.audit.started(ctx, session);
    const began = Date.now();
    ctx.logger.debug({ session: session.sessionId, task: task.taskId, agent: agentId, lookupMs: Math.round(t1 - t0), recordMs: Math.round(performance.now() - t1) }, "exec session authorised and recorded");
    let exit: agentV1Service.ExecExited | undefined;
    let reason = "client closed";
    const upstream = (async function* () {
      yield { message: { case: "start" as const, value: start } };
      for (;;) {
        const next = await input.next();
        if (next.done) return;
        yield next.value;
      }
    })();
    try {
      for await (const message of agentAt(endpoint).exec(upstream, { metadata: { authorization: `Bearer ${ticket}`, "x-correlation-id": ctx.correlationId }, signal: ctx.signal })) {
        if (message.message.case === "exited") {
          exit = message.message.value;
          reason = "exited";
        }
        yield message;
      }
      if (!exit) reason = "agent ended the session without an exit";
    } catch (err) {
      if (!ctx.signal.aborted) reason = `agent: ${(err as Error).message}`;
      throw err;
    } finally {
      await deps.audit.ended(ctx, session, { exitCode: exit?.exitCode ?? -1, signal: exit?.signal ?? "", reason, durationMs: Date.now() - began });
    }
  }

  /** The gRPC method: `exec`, its output encoded with one copy of each byte (protobuf-es would make several). */
  async function* execOverGrpc(requests: AsyncIterable<agentV1Service.ExecRequest>, ctx: CallContext) {
    for await (const response of exec(requests, ctx)) {
      const { message } = response;
      yield message?.case === "stdout" || message?.case === "stderr" ? encodeBytesField(ExecResponseSchema, OUTPUT_FIELD[message.case], [message.value]) : response;
    }
  }

  return {
    // Authorisation needs the task's app path, known only from the first message: it is checked in the handler.
    binding: bindService(agentV1Service.AgentService, { exec: execOverGrpc }, { exec: () => [] }),
    run: exec,
    checkMayExec,
    close() {
      for (const client of agents.values()) client.close();
      agents.clear();
    },
  };
}
