import { GantryError, invalidObject } from "@gantry/platform";
import { isObject, validateApp, validateAppUpdate, type AppDefinition } from "../domain/index.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { changeDesired, deploymentRef } from "./desired-change.ts";
import { appSpecOf, type StoredRunSpec } from "./registry-state.ts";
import { notFound, requestId, validationError, VALIDATION } from "./request-checks.ts";

/** The result of a change: the deployment carrying it out and the new root version. */
export interface DeploymentRef {
  deploymentId: string;
  version: string;
}

/** An app change: the version now stored and its deployment. */
export interface AppChange extends DeploymentRef {
  app: StoredRunSpec;
  created: boolean;
}

/**
 * Marathon's `/v2/apps` commands. Each validates (Marathon 1.4 rules), edits a copy of the
 * desired state, and hands it to `decideChange` through the runner (one transaction per call).
 */
export class AppCommands {
  private readonly runner: ChangeRunner;

  constructor(runner: ChangeRunner) {
    this.runner = runner;
  }

  /** POST /v2/apps: AlreadyExists `An app with id [/x] already exists.` when taken. */
  async create(raw: unknown, force: boolean, ctx: CommandContext): Promise<AppChange> {
    const result = validateApp(raw, VALIDATION);
    if (!result.ok) throw validationError(result);
    const app = result.app;
    const decision = await changeDesired(this.runner, ctx, { force, touched: new Set([app.id]) }, (state, desired) => {
      if (state.apps.has(app.id)) throw new GantryError("AlreadyExists", `An app with id [${app.id}] already exists.`, { details: { id: app.id } });
      desired.apps.set(app.id, app);
    });
    return { ...deploymentRef(decision), app: decision.apps.get(app.id)!, created: true };
  }

  /**
   * PUT (replace) or PATCH (`partial`) /v2/apps/{id}: the path's id wins over the body's; a
   * missing app is created (`created: true`). Only `instances` changing makes a scale.
   */
  async update(rawId: string, raw: unknown, options: { partial: boolean; force: boolean }, ctx: CommandContext): Promise<AppChange> {
    const id = requestId(rawId, "app");
    let created = false;
    const decision = await changeDesired(this.runner, ctx, { force: options.force, touched: new Set([id]) }, (state, desired) => {
      const existing = state.apps.get(id);
      created = existing === undefined;
      desired.apps.set(id, validated(id, raw, existing, options.partial));
    });
    return { ...deploymentRef(decision), app: decision.apps.get(id)!, created };
  }

  /** PUT/PATCH /v2/apps: creates or updates several apps in one deployment; violations under `/<index>`. */
  async updateMany(raws: readonly unknown[], options: { partial: boolean; force: boolean }, ctx: CommandContext): Promise<DeploymentRef> {
    const ids = raws.map((raw, i) => {
      if (!isObject(raw) || typeof raw.id !== "string") {
        throw new GantryError("InvalidArgument", "Invalid JSON", { violations: [{ path: `/${i}/id`, errors: ["error.path.missing"] }], details: { kind: "json" } });
      }
      return requestId(raw.id, "app");
    });
    if (new Set(ids).size !== ids.length) throw invalidObject([{ path: "/", errors: ["Run spec ids must be unique within the tree"] }]);
    const decision = await changeDesired(this.runner, ctx, { force: options.force, touched: new Set(ids) }, (state, desired) => {
      raws.forEach((raw, i) => {
        const id = ids[i]!;
        desired.apps.set(id, validated(id, raw, state.apps.get(id), options.partial, `/${i}`));
      });
    });
    return deploymentRef(decision);
  }

  /** POST /v2/apps/{id}/restart: a new version with the same definition and a RestartApplication plan. */
  async restart(rawId: string, force: boolean, ctx: CommandContext): Promise<DeploymentRef> {
    const id = requestId(rawId, "app");
    const ids = new Set([id]);
    const decision = await changeDesired(this.runner, ctx, { force, touched: ids, restart: ids }, (state) => {
      if (!state.apps.has(id)) throw notFound.app(id);
    });
    return deploymentRef(decision);
  }

  /** DELETE /v2/apps/{id}: NotFound `App '/x' does not exist`. */
  async delete(rawId: string, force: boolean, ctx: CommandContext): Promise<DeploymentRef> {
    const id = requestId(rawId, "app");
    const decision = await changeDesired(this.runner, ctx, { force }, (state, desired) => {
      if (!state.apps.has(id)) throw notFound.app(id);
      desired.apps.delete(id);
    });
    return deploymentRef(decision);
  }
}

/** Validates a PUT/PATCH body for `id`: over the stored app when there is one, else for a new app (as Marathon, a partial one over the defaults). */
function validated(id: string, raw: unknown, existing: StoredRunSpec | undefined, partial: boolean, prefix = ""): AppDefinition {
  const result = validateAppUpdate(raw, existing ? appSpecOf(existing) : id, { ...VALIDATION, partial });
  if (!result.ok) throw validationError(result, prefix);
  return result.app;
}
