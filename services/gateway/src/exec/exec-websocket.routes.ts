import type { FastifyInstance, FastifyRequest } from "fastify";
import websocket from "@fastify/websocket";
import type { WebSocket } from "ws";
import type { agentV1Service } from "@gantry/proto";
import { GantryError, pushable, type CallContext, type Logger } from "@gantry/platform";
import type { ExecRouter } from "./exec-router.ts";

/** The WebSocket exec route (see the gateway README, "Exec"). */
export const EXEC_WEBSOCKET_ROUTE = "/v2/tasks/:taskId/exec";

/** WebSocket close codes: 1000 with the exit as JSON when the command ended; 4000 + the HTTP status of a refusal. */
const CLOSE_CODES: Partial<Record<string, number>> = { InvalidArgument: 4400, Unauthenticated: 4401, PermissionDenied: 4403, NotFound: 4404, FailedPrecondition: 4409, Unavailable: 4503 };

/** Output queued for a browser beyond which the session waits for it: a slow browser slows the command (the agent pauses it), the gateway does not hold its output. */
const SEND_HIGH_WATER_BYTES = 1 << 20;

/** Sends output as a binary frame; when the browser is behind by more than the high-water mark, resolves once this frame went out (or the socket failed). */
function sendOutput(socket: WebSocket, data: Uint8Array): Promise<void> | undefined {
  if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) {
    socket.send(data, { binary: true });
    return undefined;
  }
  return new Promise((resolve) => socket.send(data, { binary: true }, () => resolve()));
}

/** A close reason fits in 123 bytes. */
const reason = (text: string) => Buffer.from(text).subarray(0, 123).toString("utf8").replace(/\uFFFD$/, "");

type Query = { cmd?: string | string[]; tty?: string; stdin?: string; cols?: string; rows?: string; term?: string };

const flag = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : v === "1" || v === "true");
const size = (v: string | undefined, dflt: number) => (v !== undefined && /^\d{1,4}$/.test(v) && Number(v) > 0 ? Number(v) : dflt);

/** The session's start from the URL: `cmd` (repeated: argv), `tty` and `stdin` (default true: a terminal), `cols`, `rows`, `term`. */
export function startFromQuery(taskId: string, q: Query): agentV1Service.ExecStart {
  const command = q.cmd === undefined ? [] : [q.cmd].flat();
  if (command.length === 0) throw new GantryError("InvalidArgument", "give the command as ?cmd=…&cmd=… (one per argument)", { violations: [{ path: "/cmd", errors: ["required"] }] });
  const tty = flag(q.tty, true);
  return { taskId, command, tty, stdin: flag(q.stdin, true), size: { columns: size(q.cols, 80), rows: size(q.rows, 24) }, term: q.term ?? "" } as agentV1Service.ExecStart;
}

/**
 * A resize control message: a TEXT frame holding exactly `{"resize":{"cols":C,"rows":R}}`.
 * Every other frame (binary, or text that is not that) is terminal input, as xterm.js's attach
 * addon sends it.
 */
export function resizeOf(text: string): { columns: number; rows: number } | undefined {
  if (!text.startsWith('{"resize"')) return undefined;
  try {
    const v = JSON.parse(text) as { resize?: { cols?: unknown; rows?: unknown } };
    const { cols, rows } = v.resize ?? {};
    if (Object.keys(v).length !== 1 || !Number.isInteger(cols) || !Number.isInteger(rows)) return undefined;
    return { columns: cols as number, rows: rows as number };
  } catch {
    return undefined;
  }
}

function callContext(request: FastifyRequest, signal: AbortSignal): CallContext {
  return { principal: request.principal!, metadata: {}, signal, logger: request.log as unknown as Logger, correlationId: String(request.id) };
}

/** The client's frames as exec requests: start first, then stdin and resizes; ends when the socket closes. */
function requestsFrom(socket: WebSocket, start: agentV1Service.ExecStart): AsyncIterable<agentV1Service.ExecRequest> {
  const requests = pushable<agentV1Service.ExecRequest>();
  requests.push({ message: { case: "start", value: start } } as agentV1Service.ExecRequest);
  socket.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const resize = isBinary ? undefined : resizeOf(bytes.toString("utf8"));
    requests.push({ message: resize ? { case: "resize", value: resize as agentV1Service.TerminalSize } : { case: "stdin", value: bytes } } as agentV1Service.ExecRequest);
  });
  socket.once("close", () => requests.end());
  return requests;
}

/**
 * `GET /v2/tasks/{taskId}/exec` upgraded to a WebSocket: the same session as the gRPC Exec
 * (same checks, same audit), for browser terminals (xterm.js with its attach addon). Output
 * comes as binary frames; the session ends with close 1000 and the reason
 * `{"exitCode":N,"signal":""}`, or 4000+status and the error's message. A plain GET (no upgrade)
 * answers 400 to a caller who may exec somewhere, 403 (recorded) to one who may not; a gateway
 * without exec routing answers 503.
 */
export async function registerExecWebSocket(app: FastifyInstance, configured: ExecRouter | undefined): Promise<void> {
  // Without exec routing (no ticket key) the route still exists and says so.
  const routerOf = (): ExecRouter => {
    if (!configured) throw new GantryError("Unavailable", "this gateway routes no exec sessions (no exec ticket key: GANTRY_EXEC_KEY_FILE)");
    return configured;
  };
  await app.register(async (scope) => {
    await scope.register(websocket, { options: { maxPayload: 1 << 20 } });
    scope.route<{ Params: { taskId: string }; Querystring: Query }>({
      method: "GET",
      url: EXEC_WEBSOCKET_ROUTE,
      handler: async (request) => {
        routerOf().checkMayExec(callContext(request, new AbortController().signal));
        throw new GantryError("InvalidArgument", "exec here is a WebSocket: send an upgrade request (see the gateway README, Exec)");
      },
      wsHandler: (socket, request) => {
        const closed = new AbortController();
        socket.once("close", () => closed.abort());
        void (async () => {
          try {
            const router = routerOf();
            const start = startFromQuery(request.params.taskId, request.query);
            for await (const m of router.run(requestsFrom(socket, start), callContext(request, closed.signal))) {
              const message = m.message as agentV1Service.ExecResponse["message"];
              if (message.case === "stdout" || message.case === "stderr") await sendOutput(socket, message.value);
              else if (message.case === "exited") socket.close(1000, JSON.stringify({ exitCode: message.value.exitCode, signal: message.value.signal }));
            }
            if (socket.readyState === socket.OPEN) socket.close(1011, "the session ended without an exit status");
          } catch (err) {
            const code = err instanceof GantryError ? (CLOSE_CODES[err.code] ?? 1011) : 1011;
            if (code === 1011) request.log.error({ err }, "exec over WebSocket failed");
            if (socket.readyState === socket.OPEN) socket.close(code, reason(err instanceof GantryError ? err.message : "internal error"));
          }
        })();
      },
    });
  });
}
