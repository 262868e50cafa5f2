import { create } from "@bufbuild/protobuf";
import { eventsV1Auth } from "@gantry/proto";
import { eventOf, GantryError, sealSecret, type EventStore, type NewEvent } from "@gantry/platform";
import { appendDecided, type Actor } from "../app/decided-append.ts";
import type { RegistryProjection } from "../app/registry.projection.ts";

/** A secret path: absolute, segments of letters, digits, `.`, `_`, `-`. */
const SECRET_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
/** The largest value kept (a TLS key or a kubeconfig fits; a file does not belong here). */
export const MAX_SECRET_BYTES = 64 * 1024;

function invalid(field: string, message: string): GantryError {
  return new GantryError("InvalidArgument", `${field}: ${message}`, { violations: [{ path: `/${field}`, errors: [message] }] });
}

/** Checks a secret path; InvalidArgument naming `path` otherwise. */
export function checkSecretPath(path: string): string {
  if (!SECRET_PATH.test(path) || path.length > 256) throw invalid("path", `"${path}" is not a secret path: an absolute path like /team-a/db-password (letters, digits, '.', '_', '-'; at most 256 characters)`);
  return path;
}

export interface SecretCommandsOptions {
  store: Pick<EventStore, "append">;
  projection: RegistryProjection;
  catchUp: (streamId: string, version: number) => Promise<void>;
  /** The cluster's secrets key; without it secrets are refused (FailedPrecondition). */
  key: Uint8Array | undefined;
}

/**
 * Stores and deletes secrets: a value is sealed with the cluster's secrets key before it is
 * appended (`SecretStored` carries only the sealed form), never returned, never logged.
 */
export class SecretCommands {
  private readonly o: SecretCommandsOptions;

  constructor(options: SecretCommandsOptions) {
    this.o = options;
  }

  /** Stores `value` at `path`; true when the secret is new. */
  async put(path: string, value: string, actor: Actor): Promise<boolean> {
    checkSecretPath(path);
    if (value === "") throw invalid("value", "must not be empty");
    if (Buffer.byteLength(value, "utf8") > MAX_SECRET_BYTES) throw invalid("value", `is larger than ${MAX_SECRET_BYTES} bytes`);
    const key = this.o.key;
    if (!key) throw new GantryError("FailedPrecondition", "this registry has no secrets key: start it with GANTRY_SECRETS_KEY_FILE (gantry up keeps one in its data dir)");
    const sealed = sealSecret(key, path, value);
    let created = false;
    await this.write(`secret-${path}`, actor, () => {
      created = !this.o.projection.state().secrets.has(path);
      return [eventOf(eventsV1Auth.SecretStoredSchema, create(eventsV1Auth.SecretStoredSchema, { path, sealed }))];
    });
    return created;
  }

  async delete(path: string, actor: Actor): Promise<void> {
    checkSecretPath(path);
    await this.write(`secret-${path}`, actor, () => {
      if (!this.o.projection.state().secrets.has(path)) throw new GantryError("NotFound", `secret "${path}" does not exist`);
      return [eventOf(eventsV1Auth.SecretDeletedSchema, create(eventsV1Auth.SecretDeletedSchema, { path }))];
    });
  }

  private write(streamId: string, actor: Actor, decide: () => NewEvent[]): Promise<void> {
    return appendDecided({ store: this.o.store, streamVersion: (id) => this.o.projection.streamVersion(id), catchUp: this.o.catchUp }, streamId, actor, decide);
  }
}
