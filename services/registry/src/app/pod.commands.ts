import { GantryError, type JsonObject } from "@gantry/platform";
import { canonicalPath, validatePod } from "../domain/index.ts";
import type { AppChange, DeploymentRef } from "./app.commands.ts";
import { decideChange } from "./change.decider.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { desiredFrom } from "./group-tree.ts";
import { notFound, requestId, validationError, VALIDATION } from "./request-checks.ts";

/** A pod change: the version now stored and its deployment. */
export type PodChange = Omit<AppChange, "app"> & { pod: AppChange["app"] };

/** Marathon's `/v2/pods` commands, each one transaction through the runner. */
export class PodCommands {
  private readonly runner: ChangeRunner;

  constructor(runner: ChangeRunner) {
    this.runner = runner;
  }

  /** POST /v2/pods: AlreadyExists `A pod with id [/x] already exists.` when taken. */
  async create(raw: unknown, force: boolean, ctx: CommandContext): Promise<PodChange> {
    const result = validatePod(raw, VALIDATION);
    if (!result.ok) throw validationError(result);
    const pod = result.pod;
    const { decision } = await this.runner.run(ctx, (state, env) => {
      if (state.pods.has(pod.id)) throw new GantryError("AlreadyExists", `A pod with id [${pod.id}] already exists.`, { details: { id: pod.id } });
      const desired = desiredFrom(state);
      desired.pods.set(pod.id, pod);
      return { decision: decideChange(state, desired, { ...env, force, touched: new Set([pod.id]) }) };
    });
    return { deploymentId: decision.deployment.id, version: decision.version, pod: decision.pods.get(pod.id)!, created: true };
  }

  /** PUT /v2/pods/{id}: replaces (or creates) the pod; InvalidArgument when the body names another id. */
  async update(rawId: string, raw: unknown, force: boolean, ctx: CommandContext): Promise<PodChange> {
    const id = requestId(rawId, "pod");
    const body = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as JsonObject) : undefined;
    if (body && typeof body.id === "string" && canonicalPath(body.id) !== id) {
      throw new GantryError("InvalidArgument", `Pod id '${body.id}' in the body does not match the path '${id}'`, { violations: [{ path: "/id", errors: [`must be ${id}`] }] });
    }
    const result = validatePod(body ? { ...body, id } : raw, VALIDATION);
    if (!result.ok) throw validationError(result);
    let created = false;
    const { decision } = await this.runner.run(ctx, (state, env) => {
      created = !state.pods.has(id);
      const desired = desiredFrom(state);
      desired.pods.set(id, result.pod);
      return { decision: decideChange(state, desired, { ...env, force, touched: new Set([id]) }) };
    });
    return { deploymentId: decision.deployment.id, version: decision.version, pod: decision.pods.get(id)!, created };
  }

  /** DELETE /v2/pods/{id}: NotFound `Pod '/x' does not exist`. */
  async delete(rawId: string, force: boolean, ctx: CommandContext): Promise<DeploymentRef> {
    const id = requestId(rawId, "pod");
    const { decision } = await this.runner.run(ctx, (state, env) => {
      if (!state.pods.has(id)) throw notFound.pod(id);
      const desired = desiredFrom(state);
      desired.pods.delete(id);
      return { decision: decideChange(state, desired, { ...env, force }) };
    });
    return { deploymentId: decision.deployment.id, version: decision.version };
  }
}
