import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1App } from "@gantry/proto";
import type { RecordedEvent } from "@gantry/platform";
import { RegistryProjection } from "../app/registry.projection.ts";
import { IamProjection } from "../iam/iam.projection.ts";
import { foldInOrder } from "./log-follower.ts";

const appEvent = (streamVersion: number, instances: number): RecordedEvent => {
  const version = `2026-01-0${streamVersion}T00:00:00.000Z`;
  const type = streamVersion === 1 ? "AppCreated" : "AppUpdated";
  const schema = streamVersion === 1 ? eventsV1App.AppCreatedSchema : eventsV1App.AppUpdatedSchema;
  const data = toJson(schema, create(schema, { app: { id: "/x", version, lastConfigChangeAt: version, definition: { id: "/x", instances } }, deploymentId: `d${streamVersion}` })) as JsonObject;
  return { globalPosition: BigInt(streamVersion), transactionId: BigInt(streamVersion), streamId: "app-/x", streamType: "app", streamVersion, type, schemaVersion: 1, data, metadata: {}, recordedAt: new Date() };
};

/** A log of one stream, read only by `readStream` (what a gap fetch uses). */
function logOf(events: RecordedEvent[]) {
  const reads: number[] = [];
  return {
    reads,
    async readStream(streamId: string, options: { fromVersion?: number } = {}) {
      reads.push(options.fromVersion ?? 1);
      return events.filter((e) => e.streamId === streamId && e.streamVersion >= (options.fromVersion ?? 1));
    },
  };
}

test("a fold that finds a gap reads the missing versions from the stream instead of skipping them", async () => {
  const log = [appEvent(1, 1), appEvent(2, 2), appEvent(3, 3)];
  const store = logOf(log);
  const projection = new RegistryProjection();
  await foldInOrder(store, { registry: projection, iam: new IamProjection() }, [log[0]!]);
  await foldInOrder(store, { registry: projection, iam: new IamProjection() }, [log[2]!]); // v2 never delivered
  assert.deepEqual(store.reads, [2], "the gap was read from the stream, from the first missing version");
  assert.equal(projection.streamVersion("app-/x"), 3);
  assert.deepEqual(projection.apps.get("/x")!.versions(), ["2026-01-03T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-01T00:00:00.000Z"], "every version, the missing one included");
});

test("an older event delivered after a newer one is ignored", async () => {
  const log = [appEvent(1, 1), appEvent(2, 2), appEvent(3, 3)];
  const projection = new RegistryProjection();
  await foldInOrder(logOf(log), { registry: projection, iam: new IamProjection() }, log);
  await foldInOrder(logOf(log), { registry: projection, iam: new IamProjection() }, [log[1]!]);
  assert.equal(projection.state().apps.get("/x")!.definition.instances, 3, "the newest version stays current");
});
