import { GantryError, type JsonObject } from "@gantry/platform";
import { flattenGroup, INT32_MAX, isUnder, parentOf, validateGroup, type GroupDefinition } from "../domain/index.ts";
import type { DeploymentRef } from "./app.commands.ts";
import { decideChange, type ChangeDecision } from "./change.decider.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { desiredFrom, removeSubtree, type DesiredState } from "./group-tree.ts";
import type { RegistryProjection } from "./registry.projection.ts";
import { appSpecOf, podSpecOf, type RegistryState } from "./registry-state.ts";
import { notFound, requestId, requestVersion, validationError, VALIDATION } from "./request-checks.ts";
import { groupVersions } from "./registry.queries.ts";

/** What UpdateGroup asks: a new tree (`definition`), a rollback (`version`) or a scale (`scaleBy`). */
export interface GroupUpdate {
  definition?: JsonObject;
  version?: string;
  scaleBy?: number;
  force: boolean;
  dryRun: boolean;
}

/** A group change: its deployment (absent on a dry run) and the plan. */
export interface GroupChange {
  deployment?: DeploymentRef;
  plan: ChangeDecision["deployment"];
}

/** Marathon's `/v2/groups` commands, each one transaction through the runner. */
export class GroupCommands {
  private readonly runner: ChangeRunner;
  private readonly projection: RegistryProjection;

  constructor(runner: ChangeRunner, projection: RegistryProjection) {
    this.runner = runner;
    this.projection = projection;
  }

  /** POST /v2/groups[/{parent}]: creates a group tree; AlreadyExists when the group exists. */
  async create(raw: unknown, parentId: string, force: boolean, ctx: CommandContext): Promise<GroupChange> {
    const parent = requestId(parentId || "/", "group");
    const result = validateGroup(raw, { ...VALIDATION, parentGroup: parent });
    if (!result.ok) throw validationError(result);
    const group = result.group;
    return this.change(ctx, force, false, (state, desired) => {
      if (state.groups.has(group.id)) {
        throw new GantryError("AlreadyExists", `Group ${group.id} is already created. Use PUT to change this group.`, { details: { id: group.id } });
      }
      addTree(desired, group);
    });
  }

  /**
   * PUT /v2/groups/{id}: with `version`, rolls the group's subtree back to that root version;
   * with `scaleBy`, scales every app below it (instances × factor, rounded up); otherwise applies
   * the body (given `apps` replace the group's apps, given `groups` its sub-groups, given
   * `dependencies` its dependencies; a missing group is created). `dryRun` writes nothing.
   */
  async update(rawId: string, update: GroupUpdate, ctx: CommandContext): Promise<GroupChange> {
    const id = requestId(rawId, "group");
    if (update.version) {
      const version = requestVersion(update.version);
      if (!version || !groupVersions(this.projection, id).includes(version)) throw notFound.version("Group", id, update.version);
      const past = this.projection.stateAt(version);
      return this.change(ctx, update.force, update.dryRun, (_state, desired) => {
        removeSubtree(desired, id);
        copySubtree(past, desired, id);
      });
    }
    if (update.scaleBy) {
      const factor = update.scaleBy;
      if (!(factor > 0)) throw new GantryError("InvalidArgument", "scaleBy must be greater than 0", { violations: [{ path: "/scaleBy", errors: ["must be greater than 0"] }] });
      return this.change(ctx, update.force, update.dryRun, (state, desired) => {
        if (!state.groups.has(id)) throw notFound.group(id);
        for (const [appId, app] of desired.apps) {
          if (!isUnder(appId, id)) continue;
          const instances = Math.ceil(app.instances * factor);
          if (instances > INT32_MAX) {
            throw new GantryError("InvalidArgument", `scaleBy ${factor} would give ${appId} ${instances} instances, more than ${INT32_MAX}`, { violations: [{ path: "/scaleBy", errors: [`gives ${appId} more than ${INT32_MAX} instances`] }] });
          }
          desired.apps.set(appId, { ...app, instances });
        }
      });
    }
    const body = update.definition ?? {};
    const result = validateGroup({ ...body, id }, VALIDATION);
    if (!result.ok) throw validationError(result);
    const group = result.group;
    return this.change(ctx, update.force, update.dryRun, (_state, desired) => {
      if (!desired.groups.has(id)) desired.groups.set(id, []);
      if ("dependencies" in body) desired.groups.set(id, group.dependencies);
      if ("apps" in body) {
        for (const appId of [...desired.apps.keys()]) if (parentOf(appId) === id) desired.apps.delete(appId);
        for (const app of group.apps) desired.apps.set(app.id, app);
      }
      if ("groups" in body) {
        for (const groupId of [...desired.groups.keys()]) if (groupId !== "/" && parentOf(groupId) === id) removeSubtree(desired, groupId);
        for (const sub of group.groups) addTree(desired, sub);
      }
    });
  }

  /** DELETE /v2/groups/{id}: removes the group and everything in it (the root itself stays). */
  async delete(rawId: string, force: boolean, ctx: CommandContext): Promise<GroupChange> {
    const id = requestId(rawId, "group");
    return this.change(ctx, force, false, (state, desired) => {
      if (!state.groups.has(id)) throw notFound.group(id);
      removeSubtree(desired, id);
    });
  }

  private async change(ctx: CommandContext, force: boolean, dryRun: boolean, edit: (state: RegistryState, desired: DesiredState) => void): Promise<GroupChange> {
    const out = await this.runner.run(ctx, (state, env) => {
      const desired = desiredFrom(state);
      edit(state, desired);
      // A dry run shows the plan whatever runs now (Marathon checks no locks for it).
      const decision = decideChange(state, desired, { ...env, force: force || dryRun });
      return { decision: dryRun ? undefined : decision, plan: decision.deployment, version: decision.version };
    });
    if (dryRun) return { plan: { ...out.plan, id: "" } };
    return { deployment: { deploymentId: out.plan.id, version: out.version }, plan: out.plan };
  }
}

function addTree(desired: DesiredState, root: GroupDefinition): void {
  const flat = flattenGroup(root);
  for (const g of flat.groups) desired.groups.set(g.id, g.dependencies);
  for (const a of flat.apps) desired.apps.set(a.id, a);
  for (const p of flat.pods) desired.pods.set(p.id, p);
}

function copySubtree(past: RegistryState, desired: DesiredState, id: string): void {
  for (const [gid, g] of past.groups) if (isUnder(gid, id)) desired.groups.set(gid, [...g.dependencies]);
  for (const [aid, a] of past.apps) if (isUnder(aid, id)) desired.apps.set(aid, appSpecOf(a));
  for (const [pid, p] of past.pods) if (isUnder(pid, id)) desired.pods.set(pid, podSpecOf(p));
}
