import type { LogLine, LogSource } from "./gen/gantry/logs/v1/logs_pb.js";

/**
 * A line's source in its QueryLogs / FollowLogs answer (each answer sends its lines' sources once;
 * a line names its own by index). Throws when the answer lacks it: a logs service bug, or one of
 * an older release (each line carried its source itself until issue 10), never shown as a line
 * without one.
 */
export function sourceOfLine(answer: { sources: readonly LogSource[] }, line: LogLine): LogSource {
  const source = answer.sources[line.source];
  if (source === undefined) {
    throw new Error(`the logs service sent a line naming source ${line.source} of ${answer.sources.length} (a logs service older than this client sends none: use a client of its release)`);
  }
  return source;
}
