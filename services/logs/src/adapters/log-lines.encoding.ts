/**
 * QueryLogs / FollowLogs answers encoded by hand, straight from the LineRuns of a query or a
 * follow page. Not with @gantry/platform's encodeFields, which copies parts already encoded: the
 * float64 and varint columns are written in place, into the one exactly sized buffer of the answer.
 */
import type { logsV1 } from "@gantry/proto";
import { EncodedMessage, lengthDelimitedSize, varintSize, writeLengthDelimitedHeader, writeVarint } from "@gantry/platform";
import type { LineSource } from "../domain/log-query.ts";
import type { LineRun } from "../domain/log-chunk.ts";

/** LogSource's fields by number, in field-number order (protobuf-es's encoding order). */
const SOURCE_FIELDS: readonly [number, keyof LineSource][] = [
  [1, "agentId"],
  [2, "hostname"],
  [3, "appId"],
  [4, "instanceId"],
  [5, "taskId"],
  [6, "container"],
  [7, "stream"],
  [8, "component"],
];

/** LogLines' field numbers. */
const COLUMN = { texts: 1, positions: 2, times: 3, levels: 4, sources: 5 } as const;

/** Tag, length and UTF-8 of a string field (nothing for "", as proto3 leaves it out). */
function stringField(number: number, text: string): Buffer {
  if (text === "") return Buffer.alloc(0);
  const length = Buffer.byteLength(text, "utf8");
  const out = Buffer.allocUnsafe(lengthDelimitedSize(number, length));
  out.write(text, writeLengthDelimitedHeader(out, 0, number, length), "utf8");
  return out;
}

/**
 * The distinct sources of an answer's runs, numbered in order of first appearance, each encoded
 * once as a LogSource. Runs of one chunk share one source object, so the lookup by identity
 * settles most; sources of different chunks that are equal (two batches of one task) get one
 * entry.
 */
class AnswerSources {
  readonly encoded: Buffer[] = [];
  #byObject = new Map<LineSource, number>();
  #byValue = new Map<string, number>();

  indexOf(s: LineSource): number {
    let index = this.#byObject.get(s);
    if (index === undefined) {
      const key = SOURCE_FIELDS.map(([, field]) => s[field]).join("\u0000");
      index = this.#byValue.get(key);
      if (index === undefined) {
        index = this.encoded.length;
        this.#byValue.set(key, index);
        this.encoded.push(Buffer.concat(SOURCE_FIELDS.map(([number, field]) => stringField(number, s[field]))));
      }
      this.#byObject.set(s, index);
    }
    return index;
  }
}

/**
 * An answer's fields before `lines` (`head`, already encoded), its `sources` (field
 * `sourcesField`), then its `lines` (field `linesField`, a LogLines: the runs' texts copied as
 * they are, positions and times as little-endian float64 columns, levels and source indexes
 * packed), by hand into one exactly sized buffer: the same bytes as protobuf-es's `toBinary`
 * (fields by number, proto3 defaults left out, no `lines` when there is no line;
 * log-lines.encoding.test.ts checks). Nothing per line but numbers written into the buffer.
 */
function encodeLinesAnswer(runs: readonly LineRun[], head: Buffer, sourcesField: number, linesField: number): Uint8Array {
  const sources = new AnswerSources();
  const sourceOfRun = runs.map((r) => sources.indexOf(r.source));
  let count = 0;
  let textBytes = 0;
  let levelBytes = 0;
  let sourceBytes = 0;
  for (const [n, r] of runs.entries()) {
    count += r.positions.length;
    for (const t of r.texts) textBytes += t.length;
    for (const level of r.levels) levelBytes += varintSize(level);
    sourceBytes += r.positions.length * varintSize(sourceOfRun[n]!);
  }
  let total = head.length;
  for (const s of sources.encoded) total += lengthDelimitedSize(sourcesField, s.length);
  const columnsSize = count === 0 ? 0 : lengthDelimitedSize(COLUMN.texts, textBytes) + lengthDelimitedSize(COLUMN.positions, count * 8) + lengthDelimitedSize(COLUMN.times, count * 8) + lengthDelimitedSize(COLUMN.levels, levelBytes) + lengthDelimitedSize(COLUMN.sources, sourceBytes);
  if (count > 0) total += lengthDelimitedSize(linesField, columnsSize);
  const out = Buffer.allocUnsafe(total);
  let at = head.copy(out, 0);
  for (const s of sources.encoded) {
    at = writeLengthDelimitedHeader(out, at, sourcesField, s.length);
    at += s.copy(out, at);
  }
  if (count === 0) return out;
  at = writeLengthDelimitedHeader(out, at, linesField, columnsSize);
  at = writeLengthDelimitedHeader(out, at, COLUMN.texts, textBytes);
  for (const r of runs) {
    for (const t of r.texts) {
      out.set(t, at);
      at += t.length;
    }
  }
  at = writeLengthDelimitedHeader(out, at, COLUMN.positions, count * 8);
  for (const r of runs) for (const p of r.positions) at = out.writeDoubleLE(p, at);
  at = writeLengthDelimitedHeader(out, at, COLUMN.times, count * 8);
  for (const r of runs) for (const t of r.times) at = out.writeDoubleLE(t, at);
  at = writeLengthDelimitedHeader(out, at, COLUMN.levels, levelBytes);
  for (const r of runs) for (const level of r.levels) at = writeVarint(out, at, level);
  at = writeLengthDelimitedHeader(out, at, COLUMN.sources, sourceBytes);
  for (const [n, r] of runs.entries()) for (let i = 0; i < r.positions.length; i++) at = writeVarint(out, at, sourceOfRun[n]!);
  return out;
}

/** A QueryLogsResponse of `runs` and `nextCursor`, encoded by hand (see encodeLinesAnswer). */
export function encodeQueryLogsResponse(runs: readonly LineRun[], nextCursor: string): EncodedMessage<typeof logsV1.QueryLogsResponseSchema> {
  return new EncodedMessage(encodeLinesAnswer(runs, stringField(2, nextCursor), 3, 4));
}

/** A FollowLogsResponse of `runs`, encoded by hand (see encodeLinesAnswer). */
export function encodeFollowLogsResponse(runs: readonly LineRun[]): EncodedMessage<typeof logsV1.FollowLogsResponseSchema> {
  return new EncodedMessage(encodeLinesAnswer(runs, Buffer.alloc(0), 2, 3));
}
