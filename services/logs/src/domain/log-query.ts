import { GantryError, type FieldViolation } from "@gantry/platform/errors";
import type { Message } from "@bufbuild/protobuf";
import type { logsV1 } from "@gantry/proto";
import { decodeCursor } from "./log-position.ts";

/** The streams a line can come from: a task's `stdout` or `stderr`, or a component's structured `log`. */
export const LOG_STREAMS = ["stdout", "stderr", "log"] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

/** A validated filter: every field set must match. Times are µs since the epoch. */
export interface LogSelection {
  taskId?: string;
  taskIdPrefix?: string;
  instanceId?: string;
  appId?: string;
  agentId?: string;
  component?: string;
  stream?: LogStream;
  minLevel?: number;
  sinceMicros?: bigint;
  untilMicros?: bigint;
  text?: string;
}

/** What a range query asks for, validated: lines after `after` (or the last `skipPrev` before `before`). */
export interface LogQuery {
  selection: LogSelection;
  /** Exclusive lower bound (a decoded cursor). */
  after?: bigint;
  /** Last lines: at most this many, the newest before `after`'s place (or the end), returned oldest first. */
  skipPrev: number;
  limit: number;
}

/** The wire shape of a filter (`gantry.logs.v1.LogFilter`, as plain fields). */
export interface LogFilterFields {
  taskId: string;
  taskIdPrefix: string;
  instanceId: string;
  appId: string;
  agentId: string;
  component: string;
  stream: string;
  minLevel: number;
  sinceUnixMicros: bigint;
  untilUnixMicros: bigint;
  text: string;
}

export const DEFAULT_LIMIT = 1_000;
export const MAX_LIMIT = 10_000;
const MAX_ID = 255;
const MAX_TEXT = 1_000;

/**
 * Validates a wire filter into a selection. Throws InvalidArgument with one violation per bad
 * field (path `/filter/<field>`), so a client sees every problem at once.
 */
export function compileSelection(f: LogFilterFields | undefined): LogSelection {
  const violations: FieldViolation[] = [];
  const bad = (field: string, error: string) => violations.push({ path: `/filter/${field}`, errors: [error] });
  const selection: LogSelection = {};
  if (!f) return selection;
  const ids: [keyof LogFilterFields & keyof LogSelection, string][] = [
    ["taskId", f.taskId], ["taskIdPrefix", f.taskIdPrefix], ["instanceId", f.instanceId], ["appId", f.appId], ["agentId", f.agentId], ["component", f.component],
  ];
  for (const [field, value] of ids) {
    if (value === "") continue;
    if (value.length > MAX_ID) bad(field, `is ${value.length} characters long; at most ${MAX_ID}`);
    else (selection as Record<string, unknown>)[field] = value;
  }
  if (f.stream !== "") {
    if ((LOG_STREAMS as readonly string[]).includes(f.stream)) selection.stream = f.stream as LogStream;
    else bad("stream", `"${f.stream}" is not one of ${LOG_STREAMS.join(", ")}`);
  }
  if (f.minLevel > 0) {
    if (f.minLevel > 60) bad("minLevel", `${f.minLevel} is above 60 (fatal)`);
    else selection.minLevel = f.minLevel;
  }
  if (f.sinceUnixMicros < 0n) bad("sinceUnixMicros", "must not be negative");
  else if (f.sinceUnixMicros > 0n) selection.sinceMicros = f.sinceUnixMicros;
  if (f.untilUnixMicros < 0n) bad("untilUnixMicros", "must not be negative");
  else if (f.untilUnixMicros > 0n) selection.untilMicros = f.untilUnixMicros;
  if (selection.sinceMicros !== undefined && selection.untilMicros !== undefined && selection.untilMicros <= selection.sinceMicros) {
    bad("untilUnixMicros", "must be after sinceUnixMicros");
  }
  if (f.text !== "") {
    if (f.text.length > MAX_TEXT) bad("text", `is ${f.text.length} characters long; at most ${MAX_TEXT}`);
    else selection.text = f.text;
  }
  if (violations.length > 0) throw new GantryError("InvalidArgument", `invalid log filter: ${violations.map((v) => `${v.path} ${v.errors.join("; ")}`).join(", ")}`, { violations });
  return selection;
}

/** Validates a range request (cursor, skip_prev, limit) around a compiled selection. */
export function compileQuery(request: { filter?: LogFilterFields; cursor: string; skipPrev: number; limit: number }): LogQuery {
  const selection = compileSelection(request.filter);
  if (request.limit > MAX_LIMIT) throw new GantryError("InvalidArgument", `limit ${request.limit} is above ${MAX_LIMIT}`, { violations: [{ path: "/limit", errors: [`at most ${MAX_LIMIT}`] }] });
  if (request.skipPrev > MAX_LIMIT) throw new GantryError("InvalidArgument", `skip_prev ${request.skipPrev} is above ${MAX_LIMIT}`, { violations: [{ path: "/skipPrev", errors: [`at most ${MAX_LIMIT}`] }] });
  const after = decodeCursor(request.cursor);
  return { selection, ...(after === undefined ? {} : { after }), skipPrev: request.skipPrev, limit: request.limit || DEFAULT_LIMIT };
}

/** Where a line comes from: the metadata every line of a chunk shares (the API's LogSource fields). */
export type LineSource = Omit<logsV1.LogSource, keyof Message>;

/** Whether a source's metadata matches a selection's id and stream filters. */
export function matchesSource(s: LogSelection, src: Omit<LineSource, "hostname" | "container">): boolean {
  if (s.taskId !== undefined && src.taskId !== s.taskId) return false;
  if (s.taskIdPrefix !== undefined && !src.taskId.startsWith(s.taskIdPrefix)) return false;
  if (s.instanceId !== undefined && src.instanceId !== s.instanceId) return false;
  if (s.appId !== undefined && src.appId !== s.appId) return false;
  if (s.agentId !== undefined && src.agentId !== s.agentId) return false;
  if (s.component !== undefined && src.component !== s.component) return false;
  if (s.stream !== undefined && src.stream !== s.stream) return false;
  return true;
}

/** Whether a line matches a selection (the same rule the SQL applies to chunks, line by line). */
export function matchesSelection(s: LogSelection, line: { source: Omit<LineSource, "hostname" | "container">; level: number; timeMicros: bigint; text: string }): boolean {
  if (!matchesSource(s, line.source)) return false;
  if (s.minLevel !== undefined && line.level < s.minLevel) return false;
  if (s.sinceMicros !== undefined && line.timeMicros < s.sinceMicros) return false;
  if (s.untilMicros !== undefined && line.timeMicros >= s.untilMicros) return false;
  if (s.text !== undefined && !line.text.toLowerCase().includes(s.text.toLowerCase())) return false;
  return true;
}
