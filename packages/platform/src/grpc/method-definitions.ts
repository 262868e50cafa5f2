import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { EncodedMessage } from "./encoded-message.ts";
import type { MethodKind } from "./types.ts";

/** What the call pipeline needs to know about a method, whichever way it is served. */
export interface MethodInfo {
  /** `/gantry.registry.v1.RegistryService/CreateApp` */
  readonly path: string;
  /** `gantry.registry.v1.RegistryService` */
  readonly service: string;
  /** `CreateApp` */
  readonly name: string;
  readonly localName: string;
  readonly kind: MethodKind;
}

/** The MethodInfo of a protobuf-es method descriptor. */
export function methodInfo(method: DescMethod): MethodInfo {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    service: method.parent.typeName,
    name: method.name,
    localName: method.localName,
    kind: method.methodKind,
  };
}

/**
 * How messages cross the wire: `message` (protobuf-es objects, encoded/decoded by the descriptor),
 * `raw` (the bytes as they are, for the proxy), or `server` (requests decoded by the descriptor,
 * responses already encoded by the handler runner, so that an unencodable response fails inside
 * the call pipeline, where it is logged and mapped, instead of inside grpc-js).
 */
export type Codec = "message" | "raw" | "server";

const identity = (bytes: Buffer) => bytes;

/** The same bytes as a Buffer (grpc-js wants one), not a copy. */
const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * Encodes a message or init object of `schema` (create() returns a message of this type
 * unchanged); an `EncodedMessage` is sent as it is.
 */
export function messageSerializer(schema: DescMessage) {
  return (value: unknown) => asBuffer(value instanceof EncodedMessage ? value.bytes : toBinary(schema, create(schema, value as never)));
}

function messageDeserializer(schema: DescMessage) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}

/**
 * The grpc-js service definition of a protobuf-es service, keyed by method localName.
 * Decoding errors surface from grpc-js as INTERNAL before any handler runs.
 */
export function grpcServiceDefinition(service: DescService, codec: Codec): ServiceDefinition {
  // ServiceDefinition has a readonly index signature; build a plain record and cast once.
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const raw = codec === "raw";
    const encodedResponses = codec !== "message";
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: raw ? (identity as (v: unknown) => Buffer) : messageSerializer(method.input),
      requestDeserialize: raw ? identity : messageDeserializer(method.input),
      responseSerialize: encodedResponses ? (identity as (v: unknown) => Buffer) : messageSerializer(method.output),
      responseDeserialize: raw ? identity : messageDeserializer(method.output),
    };
  }
  return definition as ServiceDefinition;
}
