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

/** dcos-log's JSON entry: journald-style upper-case fields (the line's and its source's), the cursor, and the time in µs. */
export function logEntryJson(l: logsV1.LogLine, s: logsV1.LogSource): string {
  const fields: Record<string, string> = { MESSAGE: l.text };
  if (s.agentId) fields.AGENT_ID = s.agentId;
  if (s.hostname) fields._HOSTNAME = s.hostname;
  if (s.appId) fields.APP_ID = s.appId;
  if (s.instanceId) fields.INSTANCE_ID = s.instanceId;
  if (s.taskId) {
    fields.TASK_ID = s.taskId;
    fields.EXECUTOR_ID = s.taskId;
    fields.CONTAINER_ID = s.taskId;
  }
  if (s.container) fields.CONTAINER_NAME = s.container;
  if (s.stream) fields.STREAM = s.stream.toUpperCase();
  if (s.component) fields.COMPONENT = s.component;
  if (l.level) fields.LEVEL = String(l.level);
  return JSON.stringify({ fields, cursor: l.cursor, monotonic_timestamp: 0, realtime_timestamp: Number(l.timeUnixMicros) });
}

/** One line (from `source`) in a format: `YYYY-MM-DD HH:MM:SS: MESSAGE`, an NDJSON object, or an SSE event whose id is the cursor (for Last-Event-ID). */
export function renderLogLine(l: logsV1.LogLine, source: logsV1.LogSource, format: LogFormat): string {
  if (format === "json") return `${logEntryJson(l, source)}\n`;
  if (format === "sse") return `id: ${l.cursor}\ndata: ${logEntryJson(l, source)}\n\n`;
  const time = new Date(Number(l.timeUnixMicros / 1000n)).toISOString();
  return `${time.slice(0, 10)} ${time.slice(11, 19)}: ${l.text}\n`;
}
