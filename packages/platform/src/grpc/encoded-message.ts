import { ScalarType, type DescMessage } from "@bufbuild/protobuf";

/**
 * A response already in its protobuf encoding, which a handler may return (unary and
 * client-streaming methods) or yield (streaming ones) instead of a message: it is sent as it is,
 * not copied. For bulk output (an exec's stdout, a metrics range's columns), where encoding
 * through protobuf-es costs several copies of every byte. `D` is the message type it encodes
 * (types only; `encodeBytesField` checks it, `encodeFields` leaves it to the caller's tests).
 */
export class EncodedMessage<D extends DescMessage = DescMessage> {
  /** The message's bytes (protobuf binary, without gRPC's length prefix). */
  readonly bytes: Uint8Array;
  declare readonly schema?: D;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** Bytes of the protobuf varint of `n` (a uint32: tags, lengths). */
export const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** Writes the protobuf varint of `n` (a uint32) at `at`; returns the offset after it. */
export function writeVarint(into: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    into[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  into[at++] = n;
  return at;
}

/** The bytes a length-delimited field (wire type 2) takes: its tag, its length, its `length` bytes of content. */
export function lengthDelimitedSize(fieldNumber: number, length: number): number {
  return varintSize(fieldNumber * 8 + 2) + varintSize(length) + length;
}

/**
 * Writes the tag and length of a length-delimited field `fieldNumber` of `length` bytes at `at`;
 * returns where its content goes (the caller writes the content there).
 */
export function writeLengthDelimitedHeader(into: Uint8Array, at: number, fieldNumber: number, length: number): number {
  return writeVarint(into, writeVarint(into, at, fieldNumber * 8 + 2), length);
}

/**
 * A length-delimited field of a message encoded by hand (`encodeFields`): `bytes` content (a bytes
 * or string field, or a sub-message already encoded), or a sub-message given as its parts.
 * Written as given, empty content included: leave out an empty proto3 `bytes` field to match
 * protobuf-es (which writes a set sub-message even when empty, but no empty scalar).
 */
export interface LengthDelimitedField {
  readonly number: number;
  readonly content: Uint8Array | readonly EncodedPart[];
}

/** A part of a message encoded by hand: one length-delimited field, or fields already encoded (copied as they are). */
export type EncodedPart = LengthDelimitedField | Uint8Array;

function partsSize(parts: readonly EncodedPart[]): number {
  let size = 0;
  for (const p of parts) size += p instanceof Uint8Array ? p.length : lengthDelimitedSize(p.number, contentSize(p.content));
  return size;
}

const contentSize = (content: LengthDelimitedField["content"]) => (content instanceof Uint8Array ? content.length : partsSize(content));

function writeParts(into: Uint8Array, at: number, parts: readonly EncodedPart[]): number {
  for (const p of parts) {
    if (p instanceof Uint8Array) {
      into.set(p, at);
      at += p.length;
      continue;
    }
    const { content } = p;
    at = writeLengthDelimitedHeader(into, at, p.number, contentSize(content));
    if (!(content instanceof Uint8Array)) at = writeParts(into, at, content);
    else {
      into.set(content, at);
      at += content.length;
    }
  }
  return at;
}

/**
 * The encoding of a message of type `D` made of `parts` in the order given (protobuf-es writes
 * fields in declaration order: give them so for the same bytes): one exactly sized allocation,
 * each content copied once. For bulk answers (columns of numbers), where protobuf-es's growing
 * writer and its final copy cost several copies of every byte. Nothing checks the parts against
 * `D`: test the result against `toBinary` of the same message. Sizes of nested sub-messages are
 * summed again at each level (cheap for the few levels of an answer).
 */
export function encodeFields<D extends DescMessage>(parts: readonly EncodedPart[]): EncodedMessage<D> {
  const bytes = Buffer.allocUnsafe(partsSize(parts));
  writeParts(bytes, 0, parts);
  return new EncodedMessage<D>(bytes);
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
  const bytes = Buffer.allocUnsafe(lengthDelimitedSize(fieldNumber, size));
  let at = writeLengthDelimitedHeader(bytes, 0, fieldNumber, size);
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return new EncodedMessage<D>(bytes);
}
