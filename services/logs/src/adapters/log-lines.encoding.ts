import { logsV1 } from "@gantry/proto";
import { EncodedMessage, lengthDelimitedSize, varintSize, writeLengthDelimitedHeader, writeVarint } from "@gantry/platform";
import { encodeCursor } from "../domain/log-position.ts";
import type { LineSource } from "../domain/log-query.ts";
import type { StoredLine } from "../domain/log-chunk.ts";

/** Message types whose field 1 is `repeated LogLine lines` (and, for QueryLogsResponse, field 2 `string next_cursor`). */
type LinesAnswer = typeof logsV1.QueryLogsResponseSchema | typeof logsV1.FollowLogsResponseSchema;

const SOURCE_FIELDS: readonly [number, keyof LineSource][] = [
  [3, "agentId"],
  [4, "hostname"],
  [5, "appId"],
  [6, "instanceId"],
  [7, "taskId"],
  [8, "container"],
  [9, "stream"],
  [10, "component"],
];

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

/** Fields 3…10 of a LogLine (its source), encoded once and reused while consecutive lines share the same source. */
class SourceFields {
  #source: LineSource | undefined;
  #bytes = Buffer.alloc(0);

  of(l: LineSource): Buffer {
    const s = this.#source;
    if (s === undefined || s.agentId !== l.agentId || s.hostname !== l.hostname || s.appId !== l.appId || s.instanceId !== l.instanceId || s.taskId !== l.taskId || s.container !== l.container || s.stream !== l.stream || s.component !== l.component) {
      this.#source = l;
      this.#bytes = Buffer.concat(SOURCE_FIELDS.map(([number, key]) => stringField(number, l[key])));
    }
    return this.#bytes;
  }
}

/** Field 2 (time) of a LogLine, encoded once while consecutive lines share the time (lines of one chunk mostly do). */
class TimeField {
  #micros: bigint | undefined;
  #bytes = Buffer.alloc(0);

  of(micros: bigint): Buffer {
    if (micros !== this.#micros) {
      this.#micros = micros;
      this.#bytes = micros === 0n ? Buffer.alloc(0) : Buffer.concat([Buffer.of(2 * 8), int64Varint(micros)]);
    }
    return this.#bytes;
  }
}

/**
 * A QueryLogsResponse (with `nextCursor`) or FollowLogsResponse (without) of `lines`, encoded by
 * hand into one exactly sized buffer: the same bytes as protobuf-es's `toBinary` (fields in number
 * order, proto3 defaults left out; log-lines.encoding.test.ts checks), without building a message
 * object per line nor encoding the source and time each line shares with the one before.
 */
export function encodeLogLines<D extends LinesAnswer>(lines: readonly StoredLine[], nextCursor = ""): EncodedMessage<D> {
  const sources = new SourceFields();
  const times = new TimeField();
  const cursors: string[] = new Array(lines.length);
  const sizes: number[] = new Array(lines.length);
  const textSizes: number[] = new Array(lines.length);
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const cursor = (cursors[i] = encodeCursor(l.pos)); // ASCII: its length is its byte length
    const textBytes = (textSizes[i] = Buffer.byteLength(l.text, "utf8"));
    const size = 1 + varintSize(cursor.length) + cursor.length + times.of(l.timeMicros).length + sources.of(l).length + (l.level === 0 ? 0 : 1 + varintSize(l.level)) + (textBytes === 0 ? 0 : 1 + varintSize(textBytes) + textBytes);
    sizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  const tail = stringField(2, nextCursor);
  const out = Buffer.allocUnsafe(total + tail.length);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    out[at++] = (1 << 3) | 2;
    at = writeVarint(out, at, sizes[i]!);
    const cursor = cursors[i]!;
    out[at++] = (1 << 3) | 2;
    at = writeVarint(out, at, cursor.length);
    at += out.write(cursor, at, "latin1");
    const time = times.of(l.timeMicros);
    time.copy(out, at);
    at += time.length;
    const source = sources.of(l);
    source.copy(out, at);
    at += source.length;
    if (l.level !== 0) {
      out[at++] = 11 << 3;
      at = writeVarint(out, at, l.level);
    }
    const textBytes = textSizes[i]!;
    if (textBytes !== 0) {
      out[at++] = (12 << 3) | 2;
      at = writeVarint(out, at, textBytes);
      at += out.write(l.text, at, "utf8");
    }
  }
  tail.copy(out, at);
  return new EncodedMessage<D>(out);
}
