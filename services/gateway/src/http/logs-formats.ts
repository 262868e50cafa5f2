import type { logsV1 } from "@gantry/proto";

/** The three answers dcos-log gives, chosen by `Accept`. */
export type LogFormat = "text" | "json" | "sse";

/** `application/json` → NDJSON, `text/event-stream` → SSE, anything else (text/plain, text/html, *\/*) → text. */
export function logFormatOf(accept: string | undefined): LogFormat {
  const a = (accept ?? "").toLowerCase();
  if (a.includes("text/event-stream")) return "sse";
  if (a.includes("application/json")) return "json";
  return "text";
}

export const CONTENT_TYPES: Record<LogFormat, string> = { text: "text/plain; charset=utf-8", json: "application/json", sse: "text/event-stream" };

/** dcos-log's JSON entry: journald-style upper-case fields, the cursor, and the time in µs. */
export function logEntryJson(l: logsV1.LogLine): string {
  const fields: Record<string, string> = { MESSAGE: l.text };
  if (l.agentId) fields.AGENT_ID = l.agentId;
  if (l.hostname) fields._HOSTNAME = l.hostname;
  if (l.appId) fields.APP_ID = l.appId;
  if (l.instanceId) fields.INSTANCE_ID = l.instanceId;
  if (l.taskId) {
    fields.TASK_ID = l.taskId;
    fields.EXECUTOR_ID = l.taskId;
    fields.CONTAINER_ID = l.taskId;
  }
  if (l.container) fields.CONTAINER_NAME = l.container;
  if (l.stream) fields.STREAM = l.stream.toUpperCase();
  if (l.component) fields.COMPONENT = l.component;
  if (l.level) fields.LEVEL = String(l.level);
  return JSON.stringify({ fields, cursor: l.cursor, monotonic_timestamp: 0, realtime_timestamp: Number(l.timeUnixMicros) });
}

/** One line in a format: `YYYY-MM-DD HH:MM:SS: MESSAGE`, an NDJSON object, or an SSE event whose id is the cursor (for Last-Event-ID). */
export function renderLogLine(l: logsV1.LogLine, format: LogFormat): string {
  if (format === "json") return `${logEntryJson(l)}\n`;
  if (format === "sse") return `id: ${l.cursor}\ndata: ${logEntryJson(l)}\n\n`;
  const time = new Date(Number(l.timeUnixMicros / 1000n)).toISOString();
  return `${time.slice(0, 10)} ${time.slice(11, 19)}: ${l.text}\n`;
}
