import type { JsonObject } from "@bufbuild/protobuf";

/** One app as the registry serves it: the current version and its normalised definition. */
export interface AppRecord {
  id: string;
  version: string;
  definition: JsonObject;
  /** Version of the app's stream, the optimistic-concurrency fence for the next change. */
  streamVersion: number;
}

/**
 * The registry's read model of apps: current version of every live app, folded from `app-*`
 * streams. Idempotent per stream version, so the fold at start, the tail of the log and the
 * registry's own writes can overlap.
 */
export class AppsProjection {
  private readonly apps = new Map<string, AppRecord>();
  private readonly versions = new Map<string, number>();

  /** Applies one app event; returns false when it was already applied. */
  apply(e: { streamId: string; streamVersion: number; type: string; data: JsonObject }): boolean {
    if ((this.versions.get(e.streamId) ?? 0) >= e.streamVersion) return false;
    this.versions.set(e.streamId, e.streamVersion);
    if (e.type === "AppCreated" || e.type === "AppUpdated") {
      const app = e.data.app as JsonObject | undefined;
      if (!app) return true;
      const id = String(app.id);
      this.apps.set(id, { id, version: String(app.version), definition: (app.definition ?? {}) as JsonObject, streamVersion: e.streamVersion });
    } else if (e.type === "AppDeleted") {
      this.apps.delete(String(e.data.appId));
    }
    return true;
  }

  get(id: string): AppRecord | undefined {
    return this.apps.get(id);
  }

  /** Version of an app's stream, live or deleted (0 = never existed). */
  streamVersion(id: string): number {
    return this.versions.get(`app-${id}`) ?? 0;
  }

  /** Every live app, ordered by id. */
  list(): AppRecord[] {
    return [...this.apps.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
