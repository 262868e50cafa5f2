import { once } from "node:events";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GantryError } from "@gantry/platform";
import { readLogLines, type LogLinesReader } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { CONTENT_TYPES, logFormatOf, renderLogLine } from "./logs-formats.ts";
import { compileLogRequest, type LogRequest } from "./logs-params.ts";
import type { Query } from "./request-params.ts";

/** dcos-log v1 prefixes: the cluster's (component logs, any agent's with `filter=AGENT_ID:`) and one agent's. */
export const LOGS_V1_PREFIXES = ["/system/v1/logs/v1", "/system/v1/agent/:agentId/logs/v1"] as const;
/** The task suffix of dcos-log v1 (the executor id is the task id: Marathon's executors run one task). */
export const LOGS_TASK_SUFFIX = "/framework/:frameworkId/executor/:executorId/container/:containerId";

/** The most lines one range answer carries. */
const MAX_RANGE_LINES = 10_000;
const KEEPALIVE_MS = 15_000;

type Params = { agentId?: string; executorId?: string };

/**
 * DC/OS' logging API (dcos-log v1) over the logs service:
 *
 * - `GET {prefix}/range/` and `{prefix}/stream/`: node and component logs (structured service
 *   logs; on the agent prefix that agent's), or task output when the filter names a task or app;
 * - `GET {prefix}/range{task}` and `{prefix}/stream{task}`: one task's output (`STREAM:stdout|stderr`
 *   to pick one).
 *
 * `limit`, `skip_prev`, `skip_next`, `cursor`, `read_reverse` and `filter=FIELD:value` as
 * dcos-log reads them (see logs-params.ts); `Accept` picks text/plain (`YYYY-MM-DD HH:MM:SS: line`),
 * application/json (one object per line) or text/event-stream (`id:` = the line's cursor, which a
 * reconnecting client sends back as `Last-Event-ID`). A range with no line is 204. Authorisation
 * is the logs service's (task output: `gantry:logs:read` on the app's path; node and component
 * logs: `gantry:nodes` read); 503 when the gateway has no logs service.
 */
export function registerLogsRoutes(app: FastifyInstance, backends: Backends): void {
  const client = () => {
    if (!backends.logs) throw new GantryError("Unavailable", "no logs service is configured for this gateway (GANTRY_LOGS_ADDRESS)");
    return backends.logs;
  };
  const compile = (request: FastifyRequest, stream: boolean): LogRequest => {
    const { agentId, executorId } = request.params as Params;
    const lastEventId = request.headers["last-event-id"];
    const req = compileLogRequest(request.query as Query, { ...(agentId ? { agentId } : {}), ...(executorId ? { taskId: executorId } : {}) }, { stream, ...(typeof lastEventId === "string" ? { lastEventId } : {}) });
    const f = req.filter;
    // Node logs unless task output is asked for by name.
    if (!f.taskId && !f.appId && !f.instanceId && !f.taskIdPrefix && !f.stream) f.stream = "log";
    return req;
  };

  const range = async (request: FastifyRequest, reply: FastifyReply) => {
    const req = compile(request, false);
    const format = logFormatOf(request.headers.accept);
    // The answer's lines [from, to), shown in that order or, with read_reverse, backwards.
    let lines: LogLinesReader;
    let from = 0;
    let to: number;
    // What dcos-log's X-Journal-Skip-* say: how far back / forward it actually moved before reading
    // (up to skip_prev / skip_next; less at the log's start or end), whatever `limit` then keeps.
    let skippedPrev = 0;
    let skippedNext = 0;
    if (req.skipPrev > 0) {
      lines = readLogLines(await asRequestError(client().queryLogs({ filter: req.filter, cursor: req.cursor, skipPrev: Math.min(req.skipPrev, MAX_RANGE_LINES) }, callerMetadata(request))));
      skippedPrev = lines.count;
      to = req.limit > 0 ? Math.min(req.limit, lines.count) : lines.count;
    } else {
      const limit = Math.min((req.limit || MAX_RANGE_LINES) + req.skipNext, MAX_RANGE_LINES);
      lines = readLogLines(await asRequestError(client().queryLogs({ filter: req.filter, cursor: req.cursor, limit }, callerMetadata(request))));
      from = skippedNext = Math.min(req.skipNext, lines.count);
      to = lines.count;
    }
    reply.header("cache-control", "no-cache").header("access-control-allow-origin", "*");
    reply.header("x-journal-skip-prev", String(skippedPrev)).header("x-journal-skip-next", String(skippedNext));
    if (to === from) return reply.code(204).send();
    let body = "";
    if (req.readReverse) for (let i = to - 1; i >= from; i--) body += renderLogLine(lines, i, format);
    else for (let i = from; i < to; i++) body += renderLogLine(lines, i, format);
    return reply.type(CONTENT_TYPES[format]).send(body);
  };

  const stream = async (request: FastifyRequest, reply: FastifyReply) => {
    const req = compile(request, true);
    const format = logFormatOf(request.headers.accept);
    // Refusals (permissions, a bad cursor or filter) answer with their status before the stream starts.
    await asRequestError(client().queryLogs({ filter: req.filter, cursor: req.cursor, limit: 1 }, callerMetadata(request)));
    const abort = new AbortController();
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { "content-type": CONTENT_TYPES[format], "cache-control": "no-cache", connection: "keep-alive", "access-control-allow-origin": "*", "x-accel-buffering": "no" });
    const keepalive = format === "sse" ? setInterval(() => out.write(":\n\n"), KEEPALIVE_MS) : undefined;
    request.raw.on("close", () => abort.abort());
    let toSkip = req.skipNext;
    try {
      for await (const r of client().followLogs({ filter: req.filter, cursor: req.cursor, skipPrev: req.skipPrev }, { ...callerMetadata(request), signal: abort.signal, deadlineMs: 24 * 3600 * 1000 })) {
        const lines = readLogLines(r);
        const from = Math.min(toSkip, lines.count);
        toSkip -= from;
        let text = "";
        for (let i = from; i < lines.count; i++) text += renderLogLine(lines, i, format);
        if (text && !out.write(text)) await once(out, "drain");
      }
    } catch (err) {
      if (!abort.signal.aborted) request.log.warn({ err }, "log stream ended");
    } finally {
      clearInterval(keepalive);
      out.end();
    }
  };

  for (const prefix of LOGS_V1_PREFIXES) {
    app.get(`${prefix}/range/`, range);
    app.get(`${prefix}/stream/`, stream);
    app.get(`${prefix}/range${LOGS_TASK_SUFFIX}`, range);
    app.get(`${prefix}/stream${LOGS_TASK_SUFFIX}`, stream);
  }
}

/** A backend's InvalidArgument is the request's fault: dcos-log answers 400 (not Marathon's 422). */
async function asRequestError<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof GantryError && err.code === "InvalidArgument") throw new GantryError("InvalidArgument", err.message, { details: { kind: "request" }, cause: err });
    throw err;
  }
}
