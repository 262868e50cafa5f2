import assert from "node:assert/strict";
import { test } from "node:test";
import { NatsClientReader, type NatsClientOp } from "./nats-client-reader.ts";

const payload = "hi\r\nPUB fake.x 2\r\nzz";
const wire = [
  'CONNECT {"verbose":false}\r\n',
  "PING\r\n",
  "SUB _INBOX.x.* 1\r\n",
  `PUB a.b _INBOX.x.1 ${Buffer.byteLength(payload)}\r\n${payload}\r\n`,
  "HPUB a.c 12 14\r\nNATS/1.0\r\n\r\nok\r\n",
  "pub lower 0\r\n\r\n",
  "UNSUB 1\r\n",
];

function readAll(chunks: Buffer[]): NatsClientOp[] {
  const reader = new NatsClientReader();
  const ops: NatsClientOp[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let op = reader.next(); op !== undefined; op = reader.next()) ops.push(op);
  }
  return ops;
}

test("the NATS client reader frames PUB/HPUB by their declared size, never scanning payloads, however the bytes are chunked", () => {
  const bytes = Buffer.from(wire.join(""));
  const whole = readAll([bytes]);
  const byteByByte = readAll([...bytes].map((b) => Buffer.from([b])));
  for (const ops of [whole, byteByByte]) {
    assert.deepEqual(
      ops.map((op) => (op.kind === "publish" ? `publish ${op.subject}` : "other")),
      ["other", "other", "other", "publish a.b", "publish a.c", "publish lower", "other"],
    );
    assert.deepEqual(
      ops.map((op) => op.bytes.toString()),
      wire,
    );
  }
});
