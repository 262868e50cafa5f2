import type { LogChunkRecord } from "../domain/log-chunk.ts";

/** The COPY statement chunkCopyData's rows are for. */
export const CHUNK_COPY_SQL =
  "COPY log_chunks (first_pos, line_count, first_time, last_time, agent_id, hostname, app_id, instance_id, task_id, container, stream, component, min_level, max_level, times, levels, codec, block) FROM STDIN (FORMAT binary)";

const FIELDS = 18;
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** PostgreSQL's timestamps count µs from 2000-01-01T00:00:00Z. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;
const INT8_OID = 20;
const INT2_OID = 21;

/**
 * The chunks as PostgreSQL binary COPY data (for CHUNK_COPY_SQL): blocks go as their bytes, with
 * no hex text for PostgreSQL to parse back (≈ 5× less time per commit than an INSERT of bytea
 * parameters, measured on 200,000-line commits).
 */
export function chunkCopyData(chunks: readonly LogChunkRecord[]): Buffer[] {
  const out = new CopyWriter();
  out.raw(SIGNATURE);
  out.int32(0); // flags
  out.int32(0); // header extension length
  for (const c of chunks) {
    out.int16(FIELDS);
    out.field(8).int64(c.firstPos);
    out.field(4).int32(c.lineCount);
    out.field(8).int64(c.firstMicros - POSTGRES_EPOCH_MICROS);
    out.field(8).int64(c.lastMicros - POSTGRES_EPOCH_MICROS);
    for (const text of [c.agentId, c.hostname, c.appId, c.instanceId, c.taskId, c.container, c.stream, c.component]) out.text(text);
    out.field(2).int16(c.minLevel);
    out.field(2).int16(c.maxLevel);
    if (c.times) out.array(INT8_OID, 8, c.times.length, (i) => out.int64(c.times![i]!));
    else out.int32(-1);
    if (c.levels) out.array(INT2_OID, 2, c.levels.length, (i) => out.int16(c.levels![i]!));
    else out.int32(-1);
    out.field(2).int16(c.codec);
    out.field(c.data.byteLength).raw(c.data);
  }
  out.int16(-1); // trailer
  return out.finish();
}

/** Appends big-endian values to small buffers, handing big byte strings over without a copy. */
class CopyWriter {
  readonly #parts: Buffer[] = [];
  #buf = Buffer.allocUnsafe(64 * 1024);
  /** Bytes of #buf from #start to #at are written and not yet in #parts. */
  #start = 0;
  #at = 0;

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    this.#flush();
    this.#buf = Buffer.allocUnsafe(Math.max(n, 64 * 1024));
    this.#start = 0;
    this.#at = 0;
  }

  #flush(): void {
    if (this.#at > this.#start) this.#parts.push(this.#buf.subarray(this.#start, this.#at));
    this.#start = this.#at;
  }

  int16(v: number): this {
    this.#room(2);
    this.#at = this.#buf.writeInt16BE(v, this.#at);
    return this;
  }

  int32(v: number): this {
    this.#room(4);
    this.#at = this.#buf.writeInt32BE(v, this.#at);
    return this;
  }

  int64(v: bigint): this {
    this.#room(8);
    this.#at = this.#buf.writeBigInt64BE(v, this.#at);
    return this;
  }

  /** A field's length word. */
  field(length: number): this {
    return this.int32(length);
  }

  text(value: string): this {
    const length = Buffer.byteLength(value);
    this.int32(length);
    this.#room(length);
    this.#at += this.#buf.write(value, this.#at);
    return this;
  }

  /** A one-dimensional array without NULLs of `count` elements of `size` bytes, each written by `element`. */
  array(elementOid: number, size: number, count: number, element: (i: number) => void): this {
    this.int32(20 + count * (4 + size)).int32(1).int32(0).int32(elementOid).int32(count).int32(1);
    for (let i = 0; i < count; i++) {
      this.int32(size);
      element(i);
    }
    return this;
  }

  raw(bytes: Uint8Array): this {
    if (bytes.byteLength <= 256) {
      this.#room(bytes.byteLength);
      this.#buf.set(bytes, this.#at);
      this.#at += bytes.byteLength;
      return this;
    }
    this.#flush();
    this.#parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return this;
  }

  finish(): Buffer[] {
    this.#flush();
    return this.#parts;
  }
}
