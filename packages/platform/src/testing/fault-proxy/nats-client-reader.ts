/**
 * One client-to-server NATS protocol operation as it travelled. A `publish` (PUB or HPUB) carries
 * its subject, and `bytes` holds its control line, payload and closing CRLF; anything else
 * (CONNECT, SUB, UNSUB, PING, PONG, or a line the reader does not know) is one whole line.
 */
export type NatsClientOp = { kind: "publish"; subject: string; bytes: Buffer } | { kind: "other"; bytes: Buffer };

const LF = 0x0a;

/**
 * Cuts the client-to-server direction of a NATS connection into operations, whatever the chunking
 * of the bytes. Payloads are taken by the size their PUB/HPUB line declares plus CRLF and are never
 * scanned, so a payload containing "\r\nPUB …" is still one payload. A PUB/HPUB line whose size is
 * not a number is passed on as an `other` line (the server will reject it).
 */
export class NatsClientReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next whole operation, or `undefined` until one has arrived. */
  next(): NatsClientOp | undefined {
    const lineEnd = this.buffer.indexOf(LF);
    if (lineEnd < 0) return undefined;
    const lineLength = lineEnd + 1;
    const line = this.buffer.toString("utf8", 0, lineEnd).replace(/\r$/, "");
    const args = line.trim().split(/[ \t]+/);
    const op = args[0]?.toUpperCase();
    const isPub = op === "PUB" && (args.length === 3 || args.length === 4);
    const isHpub = op === "HPUB" && (args.length === 4 || args.length === 5);
    const size = isPub || isHpub ? Number(args.at(-1)) : NaN;
    if (!Number.isSafeInteger(size) || size < 0) return { kind: "other", bytes: this.take(lineLength) };
    const total = lineLength + size + 2;
    if (this.buffer.length < total) return undefined;
    return { kind: "publish", subject: args[1] ?? "", bytes: this.take(total) };
  }

  private take(length: number): Buffer {
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return bytes;
  }
}
