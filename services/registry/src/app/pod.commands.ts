import { GantryError } from "@gantry/platform";
import { has, isObject, validatePod } from "../domain/index.ts";
import type { AppChange, DeploymentRef } from "./app.commands.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { changeDesired, deploymentRef } from "./desired-change.ts";
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
    const decision = await changeDesired(this.runner, ctx, { force, touched: new Set([pod.id]) }, (state, desired) => {
      if (state.pods.has(pod.id)) throw new GantryError("AlreadyExists", `A pod with id [${pod.id}] already exists.`, { details: { id: pod.id } });
      desired.pods.set(pod.id, pod);
    });
    return { ...deploymentRef(decision), pod: decision.pods.get(pod.id)!, created: true };
  }

  /**
   * PUT /v2/pods/{id}: replaces (or creates) the pod. As Marathon, the body is validated as it is
   * (a relative id is `Path needs to be absolute` at `/id`) before its id is compared with the
   * path's (400 `'/a' does not match definition's id ('/b')`). A body without an id takes the
   * path's (Marathon requires one: see the domain README).
   */
  async update(rawId: string, raw: unknown, force: boolean, ctx: CommandContext): Promise<PodChange> {
    const id = requestId(rawId, "pod");
    const result = validatePod(isObject(raw) && !has(raw, "id") ? { ...raw, id } : raw, VALIDATION);
    if (!result.ok) throw validationError(result);
    if (result.pod.id !== id) {
      const bodyId = isObject(raw) ? String(raw.id) : "";
      throw new GantryError("InvalidArgument", `'${id}' does not match definition's id ('${bodyId}')`, { details: { kind: "request" } });
    }
    let created = false;
    const decision = await changeDesired(this.runner, ctx, { force, touched: new Set([id]) }, (state, desired) => {
      created = !state.pods.has(id);
      desired.pods.set(id, result.pod);
    });
    return { ...deploymentRef(decision), pod: decision.pods.get(id)!, created };
  }

  /** DELETE /v2/pods/{id}: NotFound `Pod '/x' does not exist`. */
  async delete(rawId: string, force: boolean, ctx: CommandContext): Promise<DeploymentRef> {
    const id = requestId(rawId, "pod");
    const decision = await changeDesired(this.runner, ctx, { force }, (state, desired) => {
      if (!state.pods.has(id)) throw notFound.pod(id);
      desired.pods.delete(id);
    });
    return deploymentRef(decision);
  }
}
