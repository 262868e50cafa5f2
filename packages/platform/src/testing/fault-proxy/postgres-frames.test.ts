import assert from "node:assert/strict";
import { test } from "node:test";
import { isCommitStatement, PostgresFrameReader, readCStrings, SSL_REQUEST_CODE } from "./postgres-frames.ts";

function untyped(code: number, rest = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + rest.length, 0);
  head.writeInt32BE(code, 4);
  return Buffer.concat([head, rest]);
}

function typed(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

test("the Postgres frame reader frames untyped startup packets, then typed messages, however the bytes are chunked", () => {
  const sslRequest = untyped(SSL_REQUEST_CODE);
  const startup = untyped(196608, Buffer.from("user\0postgres\0\0"));
  const query = typed("Q", Buffer.from("COMMIT\0"));
  const sync = typed("S", Buffer.alloc(0));
  const bytes = Buffer.concat([sslRequest, startup, query, sync]);
  const reader = new PostgresFrameReader(true);
  const frames: Buffer[] = [];
  for (const b of bytes) {
    reader.push(Buffer.from([b]));
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
      frames.push(Buffer.from(frame.bytes));
      if (frame.type === undefined && frame.body.readInt32BE(0) !== SSL_REQUEST_CODE) reader.untyped = false;
      if (frame.type === 0x51) assert.deepEqual(readCStrings(frame.body, 1), ["COMMIT"]);
    }
  }
  assert.deepEqual(frames, [sslRequest, startup, query, sync]);
});

test("the Postgres frame reader rejects a length the protocol cannot carry", () => {
  const reader = new PostgresFrameReader(false);
  reader.push(Buffer.from([0x51, 0, 0, 0, 2]));
  assert.throws(() => reader.next(), /length 2 is invalid/);
});

test("isCommitStatement accepts exactly the statements that commit and end a transaction", () => {
  for (const sql of ["COMMIT", "commit;", "  END ", "end;", "COMMIT WORK", "commit   transaction ;", "END TRANSACTION"]) {
    assert.equal(isCommitStatement(sql), true, sql);
  }
  for (const sql of ["ROLLBACK", "COMMIT PREPARED 'x'", "COMMIT AND CHAIN", "INSERT INTO t VALUES (1); COMMIT", "SELECT 'COMMIT'", "BEGIN"]) {
    assert.equal(isCommitStatement(sql), false, sql);
  }
});
