import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { eventsV1App } from "@gantry/proto";
import { hasCode } from "../errors/index.ts";
import { decodeEvent, eventOf, isEvent } from "./protobuf-events.ts";

const { AppCreatedSchema, AppDeletedSchema } = eventsV1App;

test("eventOf names the event by the message's short name and stores its canonical JSON", () => {
  const msg = create(AppCreatedSchema, { app: { id: "/shop/web", version: "v1", definition: { cpus: 0.5 } }, deploymentId: "d-1" });
  const event = eventOf(AppCreatedSchema, msg, { correlationId: "c-1" });
  assert.equal(event.type, "AppCreated");
  assert.deepEqual(event.data, { app: { id: "/shop/web", version: "v1", definition: { cpus: 0.5 } }, deploymentId: "d-1" });
  assert.deepEqual(event.metadata, { correlationId: "c-1" });
  assert.equal(event.schemaVersion, undefined);
  assert.equal(eventOf(AppCreatedSchema, msg, undefined, { schemaVersion: 2 }).schemaVersion, 2);
});

test("decodeEvent round-trips the payload and refuses another type or a bad payload", () => {
  const msg = create(AppCreatedSchema, { app: { id: "/shop/web", version: "v1" }, deploymentId: "d-1" });
  const event = eventOf(AppCreatedSchema, msg);
  const recorded = { type: event.type, data: event.data, globalPosition: 7n };
  const decoded = decodeEvent(AppCreatedSchema, recorded);
  assert.equal(decoded.deploymentId, "d-1");
  assert.equal(decoded.app?.id, "/shop/web");
  assert.ok(isEvent(AppCreatedSchema, recorded) && !isEvent(AppDeletedSchema, recorded));
  assert.throws(() => decodeEvent(AppDeletedSchema, recorded), (e: unknown) => hasCode(e, "InvalidArgument"));
  assert.throws(
    () => decodeEvent(AppCreatedSchema, { ...recorded, data: { deploymentId: 42 } }),
    (e: unknown) => hasCode(e, "InvalidArgument"),
  );
  // Unknown fields from a newer writer are ignored.
  assert.equal(decodeEvent(AppCreatedSchema, { ...recorded, data: { ...recorded.data, addedLater: true } }).deploymentId, "d-1");
});
