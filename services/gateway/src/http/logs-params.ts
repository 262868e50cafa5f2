import { GantryError } from "@gantry/platform";
import type { logsV1 } from "@gantry/proto";
import type { Query } from "./request-params.ts";

/** A dcos-log v1 request, compiled: the filter, the paging, and whether it may follow. */
export interface LogRequest {
  filter: Omit<logsV1.LogFilter, "$typeName">;
  cursor: string;
  skipPrev: number;
  skipNext: number;
  limit: number;
  readReverse: boolean;
}

/** The filter fields the API accepts (`filter=FIELD:value`, upper-cased as journald's). */
export const LOG_FILTER_FIELDS = ["AGENT_ID", "APP_ID", "INSTANCE_ID", "TASK_ID", "EXECUTOR_ID", "CONTAINER_ID", "FRAMEWORK_ID", "STREAM", "COMPONENT", "_SYSTEMD_UNIT", "LEVEL", "MESSAGE", "SINCE", "UNTIL"] as const;

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, warning: 40, error: 50, fatal: 60 };

const bad = (message: string) => new GantryError("InvalidArgument", message, { details: { kind: "request" } });

function uintParam(query: Query, name: string): number {
  const raw = query[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,9}$/.test(value)) throw bad(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** A filter value of time: RFC 3339 or µs since the epoch. */
function timeMicros(field: string, value: string): bigint {
  if (/^\d{1,17}$/.test(value)) return BigInt(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw bad(`filter ${field}:${value}: not a time (RFC 3339 or µs since the epoch)`);
  return BigInt(ms) * 1000n;
}

/**
 * Reads the dcos-log v1 query (`limit`, `skip_prev`, `skip_next`, `cursor`, `read_reverse`,
 * repeatable `filter=FIELD:value`, ANDed) on top of what the route itself names (an agent, a
 * task). On stream routes `limit` and `read_reverse` are refused, and a `Last-Event-ID` header
 * replaces the cursor and resets the skips (as dcos-log does). Throws InvalidArgument (HTTP 400)
 * naming the parameter.
 */
export function compileLogRequest(query: Query, fixed: Partial<LogRequest["filter"]>, options: { stream: boolean; lastEventId?: string }): LogRequest {
  if (options.stream && query.limit !== undefined) throw bad("limit is not allowed on a stream endpoint");
  if (options.stream && query.read_reverse !== undefined) throw bad("read_reverse is not allowed on a stream endpoint");
  const filter: LogRequest["filter"] = { taskId: "", taskIdPrefix: "", instanceId: "", appId: "", agentId: "", component: "", stream: "", minLevel: 0, sinceUnixMicros: 0n, untilUnixMicros: 0n, text: "", ...fixed };
  const filters = [query.filter ?? []].flat();
  for (const f of filters) {
    const colon = f.indexOf(":");
    if (colon <= 0) throw bad("Incorrect filter parameter format, must be ?filter=key:value");
    const field = f.slice(0, colon).toUpperCase();
    const value = f.slice(colon + 1);
    switch (field) {
      case "AGENT_ID": filter.agentId = value; break;
      case "APP_ID": filter.appId = value; break;
      case "INSTANCE_ID": filter.instanceId = value; break;
      case "TASK_ID": case "EXECUTOR_ID": case "CONTAINER_ID": filter.taskId = value; break;
      case "FRAMEWORK_ID": break; // one framework: Gantry itself
      case "STREAM": filter.stream = value.toLowerCase(); break;
      case "COMPONENT": filter.component = value; break;
      case "_SYSTEMD_UNIT": filter.component = value.replace(/\.service$/, "").replace(/^(dcos|gantry)-/, ""); break;
      case "LEVEL": {
        const level = LEVELS[value.toLowerCase()] ?? (/^\d+$/.test(value) ? Number(value) : undefined);
        if (level === undefined) throw bad(`filter LEVEL:${value}: use trace, debug, info, warn, error, fatal or a pino level number`);
        filter.minLevel = level;
        break;
      }
      case "MESSAGE": filter.text = value; break;
      case "SINCE": filter.sinceUnixMicros = timeMicros(field, value); break;
      case "UNTIL": filter.untilUnixMicros = timeMicros(field, value); break;
      default: throw bad(`unknown filter field ${field}: use one of ${LOG_FILTER_FIELDS.join(", ")}`);
    }
  }
  const resume = options.stream ? options.lastEventId?.trim() : undefined;
  const cursorParam = query.cursor;
  return {
    filter,
    cursor: resume || (Array.isArray(cursorParam) ? cursorParam[cursorParam.length - 1]! : cursorParam ?? ""),
    skipPrev: resume ? 0 : uintParam(query, "skip_prev"),
    skipNext: resume ? 0 : uintParam(query, "skip_next"),
    limit: uintParam(query, "limit"),
    readReverse: String(Array.isArray(query.read_reverse) ? query.read_reverse.at(-1) : query.read_reverse ?? "false").toLowerCase() === "true",
  };
}
