import type { LogLinesReader } from "@gantry/proto";

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

/** dcos-log's JSON entry of line `i` of an answer: journald-style upper-case fields (the line's and its source's), the cursor, and the time in µs. */
export function logEntryJson(lines: LogLinesReader, i: number): string {
  const s = lines.source(i);
  const fields: Record<string, string> = { MESSAGE: lines.text(i) };
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
  const level = lines.level(i);
  if (level) fields.LEVEL = String(level);
  return JSON.stringify({ fields, cursor: lines.cursor(i), monotonic_timestamp: 0, realtime_timestamp: lines.timeUnixMicros(i) });
}

/** Line `i` of an answer in a format: `YYYY-MM-DD HH:MM:SS: MESSAGE`, an NDJSON object, or an SSE event whose id is the cursor (for Last-Event-ID). */
export function renderLogLine(lines: LogLinesReader, i: number, format: LogFormat): string {
  if (format === "json") return `${logEntryJson(lines, i)}\n`;
  if (format === "sse") return `id: ${lines.cursor(i)}\ndata: ${logEntryJson(lines, i)}\n\n`;
  const time = lines.isoTime(i);
  return `${time.slice(0, 10)} ${time.slice(11, 19)}: ${lines.text(i)}\n`;
}
