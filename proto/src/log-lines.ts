import type { LogLines, LogSource } from "./gen/gantry/logs/v1/logs_pb.js";
import { float64Column } from "./metric-columns.ts";
import { logCursor } from "./log-cursor.ts";

/** What a QueryLogsResponse and a FollowLogsResponse both are: lines as columns, and their sources once each. */
export interface LogLinesAnswer {
  lines?: LogLines | undefined;
  sources: readonly LogSource[];
  /** The fields protobuf-es decoded but does not know (field 1: an older service's lines as messages). */
  $unknown?: readonly { no: number }[] | undefined;
}

/** The field number both answers held their lines in until issue 10 (`repeated LogLine lines`, now reserved). */
const OLD_LINES_FIELD = 1;

const NEWLINE = 10;
const NO_LINES = new Uint8Array(0);
/** Keeps a leading U+FEFF (a line's own) rather than dropping it as a byte order mark; bad UTF-8 becomes U+FFFD. */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The lines of one QueryLogs / FollowLogs answer (`gantry.logs.v1.LogLines`): how many, and line
 * `i`'s text, position, cursor, time, level and source, read from the columns without an object
 * per line (the texts are decoded once, as one string, when a text is first asked for; a text is
 * a slice of it).
 *
 * Invariants, checked once when made (the constructor throws an Error naming what is wrong): every
 * column holds one entry per line, and every line names a source the answer holds. An older logs
 * service's answer (lines as messages in field 1, with or without sources) is refused too, never
 * read as holding no line: this client cannot read its lines; no line is ever shown without its
 * source.
 */
export class LogLinesReader {
  /** How many lines the answer holds. */
  readonly count: number;
  /** The answer's texts as sent: each line's UTF-8 followed by "\n". */
  readonly texts: Uint8Array;
  readonly sources: readonly LogSource[];
  readonly #positions: Float64Array;
  readonly #times: Float64Array;
  readonly #levels: readonly number[];
  readonly #sourceIndexes: readonly number[];
  #decoded: string | undefined;
  /** Where each line starts in #decoded (entry `count`: past the last line's "\n"). */
  #starts: Int32Array | undefined;

  constructor(answer: LogLinesAnswer) {
    const bad = (what: string) => new Error(`the logs service sent an answer whose ${what} (a logs service of another release? use a client of the cluster's release)`);
    const lines = answer.lines;
    this.sources = answer.sources;
    const oldLines = answer.$unknown?.filter((field) => field.no === OLD_LINES_FIELD).length ?? 0;
    if (oldLines > 0) throw bad(`${oldLines} lines come as messages (field 1, before issue 10)`);
    if (lines === undefined) {
      if (answer.sources.length > 0) throw bad(`${answer.sources.length} sources come without lines`);
      this.count = 0;
      this.texts = NO_LINES;
      this.#positions = this.#times = new Float64Array(0);
      this.#levels = this.#sourceIndexes = [];
      return;
    }
    const texts = lines.texts;
    if (texts.length > 0 && texts[texts.length - 1] !== NEWLINE) throw bad("texts do not end with a newline");
    let count = 0;
    for (let at = texts.indexOf(NEWLINE); at >= 0; at = texts.indexOf(NEWLINE, at + 1)) count++;
    const column = (name: string, bytes: Uint8Array) => {
      if (bytes.length !== count * 8) throw bad(`${name} column has ${bytes.length} bytes for ${count} lines (8 a line)`);
      return float64Column(bytes);
    };
    this.#positions = column("positions", lines.positions);
    this.#times = column("times_unix_micros", lines.timesUnixMicros);
    if (lines.levels.length !== count) throw bad(`levels column has ${lines.levels.length} entries for ${count} lines`);
    if (lines.sources.length !== count) throw bad(`sources column has ${lines.sources.length} entries for ${count} lines`);
    for (let i = 0; i < count; i++) {
      if (lines.sources[i]! >= answer.sources.length) throw bad(`line ${i} names source ${lines.sources[i]} of ${answer.sources.length}`);
    }
    this.count = count;
    this.texts = texts;
    this.#levels = lines.levels;
    this.#sourceIndexes = lines.sources;
  }

  /** Line `i`'s text (without its "\n"). */
  text(i: number): string {
    this.#check(i);
    if (this.#starts === undefined) {
      const decoded = (this.#decoded = UTF8.decode(this.texts));
      const starts = (this.#starts = new Int32Array(this.count + 1));
      // A "\n" byte is always one character of its own, however bad the UTF-8 around it.
      for (let n = 1, at = decoded.indexOf("\n"); n <= this.count; n++, at = decoded.indexOf("\n", at + 1)) starts[n] = at + 1;
    }
    return this.#decoded!.slice(this.#starts[i]!, this.#starts[i + 1]! - 1);
  }

  /** Line `i`'s position: the total order of every line (a whole number below 2^53). */
  position(i: number): number {
    this.#check(i);
    return this.#positions[i]!;
  }

  /** Line `i`'s cursor: what continues after it (`cursor`, an SSE event's id). */
  cursor(i: number): string {
    return logCursor(this.position(i));
  }

  /** Line `i`'s time, µs since the epoch. */
  timeUnixMicros(i: number): number {
    this.#check(i);
    return this.#times[i]!;
  }

  /** Line `i`'s time as ISO 8601 in UTC, to the millisecond (what the gateway's and the CLI's text show). */
  isoTime(i: number): string {
    return new Date(Math.floor(this.timeUnixMicros(i) / 1000)).toISOString();
  }

  /** Line `i`'s level (pino's 10 … 60; 0 for task output). */
  level(i: number): number {
    this.#check(i);
    return this.#levels[i]!;
  }

  /** Line `i`'s source, from the answer's `sources`. */
  source(i: number): LogSource {
    this.#check(i);
    return this.sources[this.#sourceIndexes[i]!]!;
  }

  #check(i: number): void {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`line ${i} of ${this.count}`);
  }
}

/** The lines of a QueryLogs / FollowLogs answer (see LogLinesReader; throws when its columns disagree or a line's source is missing). */
export function readLogLines(answer: LogLinesAnswer): LogLinesReader {
  return new LogLinesReader(answer);
}
