/**
 * One PostgreSQL wire-protocol message as it travelled: `type` is the message's type byte, or
 * `undefined` for the untyped startup-phase packets (StartupMessage, SSLRequest, GSSENCRequest,
 * CancelRequest); `bytes` is the whole message (type, length and body) and `body` what follows
 * the length.
 */
export interface PostgresFrame {
  type: number | undefined;
  bytes: Buffer;
  body: Buffer;
}

/** Request code of SSLRequest: the server answers one byte, `S` (TLS follows) or `N`. */
export const SSL_REQUEST_CODE = 80877103;
/** Request code of GSSENCRequest: the server answers one byte, `G` (GSS encryption follows) or `N`. */
export const GSSENC_REQUEST_CODE = 80877104;
/** Request code of CancelRequest: sent on a fresh connection, which the server then closes without an answer. */
export const CANCEL_REQUEST_CODE = 80877102;

/**
 * Cuts one direction of a PostgreSQL connection into messages, whatever the chunking of the
 * bytes. `untyped` says whether the next message is a startup-phase packet (int32 length, then
 * body); the caller flips it as the conversation moves on. `next()` returns `undefined` until a
 * whole message has arrived, and throws on a length the protocol cannot carry (the caller should
 * drop the connection: nothing after it can be framed).
 */
export class PostgresFrameReader {
  untyped: boolean;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(untyped: boolean) {
    this.untyped = untyped;
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** Takes one raw byte (the server's one-byte answer to SSLRequest/GSSENCRequest), if one has arrived. */
  takeByte(): Buffer | undefined {
    if (this.buffer.length === 0) return undefined;
    const byte = this.buffer.subarray(0, 1);
    this.buffer = this.buffer.subarray(1);
    return byte;
  }

  /** Takes whatever has arrived, unframed (for a connection that switched to TLS). */
  takeRest(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  next(): PostgresFrame | undefined {
    const header = this.untyped ? 4 : 5;
    if (this.buffer.length < header) return undefined;
    const length = this.buffer.readInt32BE(header - 4);
    if (length < 4 || (this.untyped && length < 8)) throw new Error(`fault proxy: PostgreSQL message length ${length} is invalid`);
    const total = length + header - 4;
    if (this.buffer.length < total) return undefined;
    const bytes = this.buffer.subarray(0, total);
    this.buffer = this.buffer.subarray(total);
    return { type: this.untyped ? undefined : bytes[0], bytes, body: bytes.subarray(header) };
  }
}

/** Reads consecutive NUL-terminated strings from a message body (Query, Parse, Bind, Execute, Close all start with them). */
export function readCStrings(body: Buffer, count: number): string[] {
  const strings: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    strings.push(body.toString("utf8", at, end));
    at = end + 1;
  }
  return strings;
}

const COMMIT_STATEMENT = /^(?:COMMIT|END)(?: WORK| TRANSACTION)?$/;

/**
 * Whether SQL text is exactly one statement that ends a transaction by committing it: `COMMIT`,
 * `END`, optionally with `WORK`/`TRANSACTION`, any case and spacing, an optional trailing `;`.
 * `COMMIT PREPARED`, `COMMIT AND CHAIN` and multi-statement strings are not.
 */
export function isCommitStatement(sql: string): boolean {
  const normalized = sql.trim().replace(/;\s*$/, "").trim().replace(/\s+/g, " ").toUpperCase();
  return COMMIT_STATEMENT.test(normalized);
}
