import { toJson, type DescField, type DescMessage, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import { agentState } from "./agents.ts";
import { enumLabel } from "./enum-labels.ts";

/**
 * A protobuf message as the CLI's `--json` prints it: the canonical JSON (protobuf's JSON
 * mapping: camelCase names, 64-bit integers as strings, fields at their zero value left out),
 * changed so that it says what the tables say:
 *
 * - enum values carry the names the tables show (`TASK_RUNNING`, not `TASK_STATE_RUNNING`;
 *   see `enumLabel`);
 * - a field whose proto marks "none" with a sentinel is present exactly when it has a value
 *   (a task's `exitCode` is absent while unknown, not `-1`, and present when it is `0`);
 * - what a table derives is there too (an agent's `state`: active, draining or lost);
 * - the lists of the answer itself are always present, `[]` when empty (`{"tasks": []}`).
 *
 * `google.protobuf.*` values (the Marathon JSON of a definition) pass through unchanged.
 */
export function messageJson<D extends DescMessage>(schema: D, message: MessageShape<D>): JsonObject {
  const json = toJson(schema, message) as JsonObject;
  const root = reflect(schema, message);
  relabel(root, json);
  for (const field of root.fields) if (field.fieldKind === "list" && json[field.jsonName] === undefined) json[field.jsonName] = [];
  return json;
}

/** Sentinel fields: the value means "none" unless the predicate holds (then it is shown, zero included). */
const HAS_VALUE = new Map<string, Readonly<Record<string, (value: number) => boolean>>>([
  // "-1 when not known".
  [schedulerV1Model.TaskSchema.typeName, { exitCode: (v) => v >= 0 }],
  // "-1 when a fixed `port` is given or the check runs a command".
  [registryV1RunSpec.HealthCheckSpecSchema.typeName, { endpointIndex: (v) => v >= 0 }],
]);

/** Fields the tables derive from a message, added to its JSON. */
const DERIVED = new Map<string, (message: ReflectMessage) => JsonObject>([
  [schedulerV1Model.AgentSchema.typeName, (r) => ({ state: agentState(r.message as schedulerV1Model.Agent) })],
]);

/** Whether a message field's JSON is the message's own (not a well-known type with a JSON form of its own). */
function isPlain(message: DescMessage): boolean {
  return !message.typeName.startsWith("google.protobuf.");
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rewrites `json` (the canonical JSON of `r`) in place, field by field, recursing into messages. */
function relabel(r: ReflectMessage, json: JsonObject): void {
  const sentinels = HAS_VALUE.get(r.desc.typeName);
  for (const field of r.fields) {
    const key = field.jsonName;
    if (json[key] === undefined && !sentinels?.[field.localName]) continue;
    relabelField(r, field, json, sentinels?.[field.localName]);
  }
  Object.assign(json, DERIVED.get(r.desc.typeName)?.(r));
}

function relabelField(r: ReflectMessage, field: DescField, json: JsonObject, hasValue: ((value: number) => boolean) | undefined): void {
  const key = field.jsonName;
  switch (field.fieldKind) {
    case "scalar": {
      if (!hasValue) return;
      const value = r.get(field) as number;
      if (hasValue(value)) json[key] = value;
      else delete json[key];
      return;
    }
    case "enum":
      json[key] = enumLabel(field.enum, r.get(field) as number);
      return;
    case "message": {
      const value = json[key];
      if (isPlain(field.message) && isObject(value)) relabel(r.get(field) as ReflectMessage, value);
      return;
    }
    case "list": {
      const items = json[key];
      if (!Array.isArray(items)) return;
      const list = [...(r.get(field) as Iterable<unknown>)];
      if (field.listKind === "enum") json[key] = list.map((v) => enumLabel(field.enum, v as number));
      else if (field.listKind === "message" && isPlain(field.message)) list.forEach((m, i) => isObject(items[i]) && relabel(m as ReflectMessage, items[i]));
      return;
    }
    case "map": {
      const entries = json[key];
      if (!isObject(entries)) return;
      for (const [k, v] of r.get(field) as ReadonlyMap<unknown, unknown>) {
        if (field.mapKind === "enum") entries[String(k)] = enumLabel(field.enum, v as number);
        else if (field.mapKind === "message" && isPlain(field.message) && isObject(entries[String(k)])) relabel(v as ReflectMessage, entries[String(k)] as JsonObject);
      }
      return;
    }
  }
}
