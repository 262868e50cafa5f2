import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { agentV1Service, registryV1, registryV1App } from "@gantry/proto";
import { encodeBytesField, encodeFields, EncodedMessage } from "./encoded-message.ts";
import { messageSerializer } from "./method-definitions.ts";

const { ExecResponseSchema } = agentV1Service;
const stdout = ExecResponseSchema.field.stdout.number;
const stderr = ExecResponseSchema.field.stderr.number;

test("a bytes field encoded from parts decodes as the parts one after another, whatever the length's varint size", () => {
  for (const sizes of [[0], [1], [100, 27], [127, 1], [16_000, 384], [1 << 20, 3]]) {
    const parts = sizes.map((n, i) => Buffer.alloc(n, 97 + i));
    const decoded = fromBinary(ExecResponseSchema, encodeBytesField(ExecResponseSchema, stdout, parts).bytes);
    assert.equal(decoded.message.case, "stdout", `sizes ${sizes}`);
    assert.deepEqual(Buffer.from(decoded.message.value as Uint8Array), Buffer.concat(parts), `sizes ${sizes}`);
  }
  const err = fromBinary(ExecResponseSchema, encodeBytesField(ExecResponseSchema, stderr, [Buffer.from("oops")]).bytes);
  assert.equal(err.message.case, "stderr");
  assert.equal(Buffer.from(err.message.value as Uint8Array).toString(), "oops");
});

test("the encoding is protobuf-es's own, byte for byte", () => {
  const data = Buffer.alloc(300, 7);
  const ours = encodeBytesField(ExecResponseSchema, stdout, [data.subarray(0, 100), data.subarray(100)]).bytes;
  const theirs = toBinary(ExecResponseSchema, create(ExecResponseSchema, { message: { case: "stdout", value: data } }));
  assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
});

test("only a bytes field of the message can be encoded so", () => {
  assert.throws(() => encodeBytesField(ExecResponseSchema, ExecResponseSchema.field.started.number, []), /field 1 of gantry\.agent\.v1\.ExecResponse is not a bytes field/);
  assert.throws(() => encodeBytesField(ExecResponseSchema, 99, []), /field 99 .* is not a bytes field/);
});

test("the serializer sends an encoded message as it is (not a copy), and still encodes messages", () => {
  const serialize = messageSerializer(ExecResponseSchema);
  const encoded = encodeBytesField(ExecResponseSchema, stdout, [Buffer.from("hello")]);
  const sent = serialize(encoded);
  assert.equal(sent.buffer, encoded.bytes.buffer);
  assert.equal(sent.byteOffset, encoded.bytes.byteOffset);
  assert.equal(sent.length, encoded.bytes.length);
  const plain = new EncodedMessage(new Uint8Array([0x1a, 0x01, 0x21]));
  const decoded = fromBinary(ExecResponseSchema, serialize(plain)).message;
  assert.equal(decoded.case, "stderr");
  assert.equal(Buffer.from(decoded.value as Uint8Array).toString(), "!");
  const init = serialize({ message: { case: "exited", value: { exitCode: 3 } } });
  assert.deepEqual(fromBinary(ExecResponseSchema, init).message.value, create(agentV1Service.ExecExitedSchema, { exitCode: 3 }));
});

test("a message encoded from parts (fields, a sub-message, fields already encoded) is protobuf-es's own, byte for byte", () => {
  const { GetAppResponseSchema } = registryV1;
  const { AppVersionSchema } = registryV1App;
  const definition = { id: "/web", cpus: 0.5, labels: { tier: "x".repeat(200) } };
  const whole = create(GetAppResponseSchema, { app: { id: "/web", version: "v".repeat(130), definition } });
  const ours = encodeFields<typeof GetAppResponseSchema>([
    {
      number: GetAppResponseSchema.field.app.number,
      content: [
        { number: AppVersionSchema.field.id.number, content: Buffer.from("/web") },
        { number: AppVersionSchema.field.version.number, content: Buffer.from("v".repeat(130)) },
        toBinary(AppVersionSchema, create(AppVersionSchema, { definition })),
      ],
    },
  ]);
  assert.deepEqual(Buffer.from(ours.bytes), Buffer.from(toBinary(GetAppResponseSchema, whole)));
  assert.deepEqual(fromBinary(GetAppResponseSchema, ours.bytes), whole);
  const empty = encodeFields<typeof GetAppResponseSchema>([{ number: GetAppResponseSchema.field.app.number, content: [] }]);
  assert.deepEqual(Buffer.from(empty.bytes), Buffer.from(toBinary(GetAppResponseSchema, create(GetAppResponseSchema, { app: {} }))));
});
