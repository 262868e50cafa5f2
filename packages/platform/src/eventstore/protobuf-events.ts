import { fromJson, toJson, type DescMessage, type JsonValue as ProtoJsonValue, type MessageShape } from "@bufbuild/protobuf";
import { GantryError } from "../errors/index.ts";
import type { EventMetadata, JsonObject, NewEvent, RecordedEvent } from "./event.ts";

/**
 * Builds a NewEvent from a protobuf-es message: `type` is the message's short name
 * (`gantry.events.v1.AppCreated` → `AppCreated`) and `data` its canonical JSON (`toJson`), so the
 * stored payload is queryable and decodes back with `decodeEvent`. Throws InvalidArgument for a
 * message whose JSON form is not an object (wrapper/well-known types are not events).
 */
export function eventOf<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  metadata?: EventMetadata,
  options: { schemaVersion?: number } = {},
): NewEvent {
  const data = toJson(schema, message);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new GantryError("InvalidArgument", `${schema.typeName} does not serialize to a JSON object and cannot be an event`);
  }
  const event: NewEvent = { type: schema.name, data: data as JsonObject };
  if (options.schemaVersion !== undefined) event.schemaVersion = options.schemaVersion;
  if (metadata !== undefined) event.metadata = metadata;
  return event;
}

/**
 * Decodes a recorded event's payload into the protobuf-es message `schema` describes (`fromJson`,
 * unknown fields ignored so older readers accept newer payloads). Throws InvalidArgument when the
 * event's type is not the schema's short name, or when the payload does not parse.
 */
export function decodeEvent<Desc extends DescMessage>(schema: Desc, recorded: Pick<RecordedEvent, "type" | "data" | "globalPosition">): MessageShape<Desc> {
  if (recorded.type !== schema.name) {
    throw new GantryError("InvalidArgument", `event at position ${recorded.globalPosition} is a ${recorded.type}, not a ${schema.name}`);
  }
  try {
    return fromJson(schema, recorded.data as ProtoJsonValue, { ignoreUnknownFields: true });
  } catch (cause) {
    throw new GantryError("InvalidArgument", `event at position ${recorded.globalPosition} is not a valid ${schema.typeName}`, { cause });
  }
}

/** True when `recorded` carries the message `schema` describes (compares the short type name). */
export function isEvent<Desc extends DescMessage>(schema: Desc, recorded: Pick<RecordedEvent, "type">): boolean {
  return recorded.type === schema.name;
}
