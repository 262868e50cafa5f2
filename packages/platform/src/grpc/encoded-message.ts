import { ScalarType, type DescMessage } from "@bufbuild/protobuf";

/**
 * A response already in its protobuf encoding, which a streaming handler may yield instead of a
 * message: it is sent as it is, not copied. For bulk output (an exec's stdout), where encoding
 * through protobuf-es costs several copies of every byte. `D` is the message type it encodes
 * (types only; `encodeBytesField` is what checks it).
 */
export class EncodedMessage<D extends DescMessage = DescMessage> {
  /** The message's bytes (protobuf binary, without gRPC's length prefix). */
  readonly bytes: Uint8Array;
  declare readonly schema?: D;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function writeVarint(into: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    into[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  into[at++] = n;
  return at;
}

/**
 * The encoding of a message of `schema` whose one field set is the bytes field `fieldNumber`
 * (a oneof member included), holding `parts` one after another: one allocation, each part
 * copied once. Throws TypeError when `fieldNumber` is not a bytes field of `schema`.
 */
export function encodeBytesField<D extends DescMessage>(schema: D, fieldNumber: number, parts: readonly Uint8Array[]): EncodedMessage<D> {
  const field = schema.fields.find((f) => f.number === fieldNumber);
  if (field?.fieldKind !== "scalar" || field.scalar !== ScalarType.BYTES) throw new TypeError(`field ${fieldNumber} of ${schema.typeName} is not a bytes field`);
  let size = 0;
  for (const part of parts) size += part.length;
  const tag = fieldNumber * 8 + 2; // wire type 2: length-delimited
  const bytes = Buffer.allocUnsafe(varintSize(tag) + varintSize(size) + size);
  let at = writeVarint(bytes, writeVarint(bytes, 0, tag), size);
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return new EncodedMessage<D>(bytes);
}
