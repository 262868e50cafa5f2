import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { eventsV1App } from "@gantry/proto";
import { GantryError, invalidObject } from "@gantry/platform";
import { validateApp } from "../domain/index.ts";
import type { AppRecord, AppsProjection } from "./apps.projection.ts";

/** Who asks, and the ids that tie their request to what follows. */
export interface CommandContext {
  principal: string;
  correlationId: string;
  traceparent?: string;
}

/** The slice of the event store the registry's commands use. */
export interface AppEventWriter {
  /** Appends one event at `expectedVersion`; throws ConcurrencyError (Aborted) on a conflict; returns the new version. */
  append(streamId: string, expectedVersion: number, type: string, data: JsonObject, ctx: CommandContext): Promise<number>;
}

/** The outcome of a change: what is stored now and the deployment that carries it out. */
export interface AppChange {
  app: AppRecord;
  deploymentId: string;
}

/**
 * The registry's app commands: validate, check against current state, append one event with
 * the acting principal, and fold it into the projection so the caller reads its own write.
 */
export class AppCommands {
  private readonly writer: AppEventWriter;
  private readonly apps: AppsProjection;
  private readonly now: () => Date;

  constructor(writer: AppEventWriter, apps: AppsProjection, now: () => Date = () => new Date()) {
    this.writer = writer;
    this.apps = apps;
    this.now = now;
  }

  /** Creates an app from a Marathon definition; InvalidArgument with field violations, AlreadyExists for a taken id. */
  async create(raw: unknown, ctx: CommandContext): Promise<AppChange> {
    const result = validateApp(raw);
    if (!result.ok) throw invalidObject(result.violations);
    const definition = result.app as unknown as JsonObject;
    const id = String(definition.id);
    if (this.apps.get(id)) throw new GantryError("AlreadyExists", `An app with id [${id}] already exists.`, { details: { id } });
    const version = this.now().toISOString();
    const deploymentId = randomUUID();
    const stored = { ...definition, version };
    const event = create(eventsV1App.AppCreatedSchema, { app: { id, version, definition: stored }, deploymentId });
    const streamId = `app-${id}`;
    const expected = this.apps.streamVersion(id);
    const data = toJson(eventsV1App.AppCreatedSchema, event) as JsonObject;
    const next = await this.writer.append(streamId, expected, "AppCreated", data, ctx);
    this.apps.apply({ streamId, streamVersion: next, type: "AppCreated", data });
    return { app: this.apps.get(id)!, deploymentId };
  }

  /** Deletes an app; NotFound when it does not exist. Its tasks are killed by the scheduler. */
  async delete(id: string, ctx: CommandContext): Promise<{ deploymentId: string; version: string }> {
    const existing = this.apps.get(id);
    if (!existing) throw new GantryError("NotFound", `App '${id}' does not exist`, { details: { id } });
    const version = this.now().toISOString();
    const deploymentId = randomUUID();
    const streamId = `app-${id}`;
    const data = toJson(eventsV1App.AppDeletedSchema, create(eventsV1App.AppDeletedSchema, { appId: id, version, deploymentId })) as JsonObject;
    const next = await this.writer.append(streamId, existing.streamVersion, "AppDeleted", data, ctx);
    this.apps.apply({ streamId, streamVersion: next, type: "AppDeleted", data });
    return { deploymentId, version };
  }
}
