import type { logsV1 } from "@gantry/proto";
import { EncodedMessage, lengthDelimitedSize, varintSize, writeLengthDelimitedHeader, writeVarint } from "@gantry/platform";
import { encodeCursor } from "../domain/log-position.ts";
import type { LineSource } from "../domain/log-query.ts";
import type { StoredLine } from "../domain/log-chunk.ts";

/** LogSource's fields by number, in declaration order (protobuf-es's encoding order). */
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

/** LogLine's field numbers. */
const LINE = { cursor: 1, time: 2, level: 11, text: 12, source: 13 } as const;

/** A varint of a non-negative or negative int64 (protobuf's two's complement, 10 bytes when negative). */
function int64Varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  while (v > 0x7fn) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

/** Tag, length and UTF-8 of a string field (nothing for "", as proto3 leaves it out). */
function stringField(number: number, text: string): Buffer {
  if (text === "") return Buffer.alloc(0);
  const length = Buffer.byteLength(text, "utf8");
  const out = Buffer.allocUnsafe(lengthDelimitedSize(number, length));
  out.write(text, writeLengthDelimitedHeader(out, 0, number, length), "utf8");
  return out;
}

/**
 * The distinct sources of an answer's lines, numbered in order of first appearance, each encoded
 * once as a LogSource. Lines of one chunk share one source object, so the lookup by identity
 * settles almost every line; sources of different chunks that are equal (two batches of one task)
 * get one entry.
 */
class AnswerSources {
  readonly encoded: Buffer[] = [];
  #byObject = new Map<LineSource, number>();
  #byValue = new Map<string, number>();
  #last: LineSource | undefined;
  #lastIndex = 0;

  indexOf(s: LineSource): number {
    if (s === this.#last) return this.#lastIndex;
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
    this.#last = s;
    this.#lastIndex = index;
    return index;
  }
}

/** Field 2 (time) of a LogLine, encoded once while consecutive lines share the time (lines of one chunk mostly do). */
class TimeField {
  #micros: bigint | undefined;
  #bytes = Buffer.alloc(0);

  of(micros: bigint): Buffer {
    if (micros !== this.#micros) {
      this.#micros = micros;
      this.#bytes = micros === 0n ? Buffer.alloc(0) : Buffer.concat([Buffer.of(LINE.time * 8), int64Varint(micros)]);
    }
    return this.#bytes;
  }
}

/**
 * An answer's `lines` then its other fields (`tail`, already encoded) then its `sources` (field
 * `sourcesField`), by hand into one exactly sized buffer: the same bytes as protobuf-es's
 * `toBinary` (fields in declaration order, proto3 defaults left out; log-lines.encoding.test.ts
 * checks), without a message object per line. Each line carries its cursor, time, level, text and
 * the index of its source; each source is written once.
 */
function encodeLinesAnswer(lines: readonly StoredLine[], tail: Buffer, sourcesField: number): Uint8Array {
  const sources = new AnswerSources();
  const times = new TimeField();
  const cursors: string[] = new Array(lines.length);
  const sizes: number[] = new Array(lines.length);
  const textSizes: number[] = new Array(lines.length);
  const sourceIndexes: number[] = new Array(lines.length);
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const cursor = (cursors[i] = encodeCursor(l.pos)); // ASCII: its length is its byte length
    const textBytes = (textSizes[i] = Buffer.byteLength(l.text, "utf8"));
    const source = (sourceIndexes[i] = sources.indexOf(l.source));
    const size = 1 + varintSize(cursor.length) + cursor.length + times.of(l.timeMicros).length + (l.level === 0 ? 0 : 1 + varintSize(l.level)) + (textBytes === 0 ? 0 : 1 + varintSize(textBytes) + textBytes) + (source === 0 ? 0 : 1 + varintSize(source));
    sizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  for (const s of sources.encoded) total += lengthDelimitedSize(sourcesField, s.length);
  const out = Buffer.allocUnsafe(total + tail.length);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    out[at++] = (1 << 3) | 2;
    at = writeVarint(out, at, sizes[i]!);
    const cursor = cursors[i]!;
    out[at++] = (LINE.cursor << 3) | 2;
    at = writeVarint(out, at, cursor.length);
    at += out.write(cursor, at, "latin1");
    const time = times.of(l.timeMicros);
    time.copy(out, at);
    at += time.length;
    if (l.level !== 0) {
      out[at++] = LINE.level << 3;
      at = writeVarint(out, at, l.level);
    }
    const textBytes = textSizes[i]!;
    if (textBytes !== 0) {
      out[at++] = (LINE.text << 3) | 2;
      at = writeVarint(out, at, textBytes);
      at += out.write(l.text, at, "utf8");
    }
    const source = sourceIndexes[i]!;
    if (source !== 0) {
      out[at++] = LINE.source << 3;
      at = writeVarint(out, at, source);
    }
  }
  at += tail.copy(out, at);
  for (const s of sources.encoded) {
    at = writeLengthDelimitedHeader(out, at, sourcesField, s.length);
    at += s.copy(out, at);
  }
  return out;
}

/** A QueryLogsResponse of `lines` and `nextCursor`, encoded by hand (see encodeLinesAnswer). */
export function encodeQueryLogsResponse(lines: readonly StoredLine[], nextCursor: string): EncodedMessage<typeof logsV1.QueryLogsResponseSchema> {
  return new EncodedMessage(encodeLinesAnswer(lines, stringField(2, nextCursor), 3));
}

/** A FollowLogsResponse of `lines`, encoded by hand (see encodeLinesAnswer). */
export function encodeFollowLogsResponse(lines: readonly StoredLine[]): EncodedMessage<typeof logsV1.FollowLogsResponseSchema> {
  return new EncodedMessage(encodeLinesAnswer(lines, Buffer.alloc(0), 2));
}
