import { Writable } from "node:stream";
import { prettyFactory } from "pino-pretty";

/** How `gantry up` writes logs: readable lines (default) or pino's JSON lines (`--log-format json`). */
export type LogFormat = "pretty" | "json";

/** The log formats `--log-format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ["pretty", "json"];

/**
 * Where every log line of a launched cluster goes: the services' pino logger and the agent
 * processes' stderr both write JSON lines here. Each line is written out once, with each key
 * once (pino repeats a key a child logger binds again, such as `component`; the last, most
 * specific value is kept). A line that is not JSON (a crashed child's stack) is kept as the
 * `msg` of a line of `component` `source`.
 */
export interface LogSink {
  /** A stream for pino (`createLogger(…, { destination })`). */
  stream: Writable;
  /** Writes one line that came from `source` (an agent process). */
  line(source: string, text: string): void;
}

/** Rewrites one JSON log line with each key once; wraps a line that is no JSON object. */
export function normaliseLogLine(source: string, text: string, now: () => number = Date.now): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: wrapped below.
  }
  return { level: 30, time: new Date(now()).toISOString(), component: source, msg: text };
}

/** A sink writing `format` to `out`. Pretty lines are one line each, without pid/hostname. */
export function createLogSink(format: LogFormat, out: NodeJS.WritableStream): LogSink {
  const pretty = format === "pretty" ? prettyFactory({ colorize: (out as { isTTY?: boolean }).isTTY === true, singleLine: true, ignore: "pid,hostname,component", messageFormat: "{component}: {msg}", translateTime: "SYS:HH:MM:ss.l" }) : undefined;
  const emit = (entry: Record<string, unknown>) => out.write(pretty ? pretty(entry) : JSON.stringify(entry) + "\n");
  const line = (source: string, text: string) => {
    if (text.trim() !== "") emit(normaliseLogLine(source, text));
  };
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      for (const text of String(chunk).split("\n")) line("gantry", text);
      done();
    },
  });
  return { stream, line };
}
