import { registryV1Iam } from "@gantry/proto";
import { bindService, grantsOf, resourceIdOf, RESOURCES, type AccessAudit, type Action, type CallContext, type Permission, type Permissions, type ServiceBinding } from "@gantry/platform";
import type { IamActor, IamCommands } from "./iam.commands.ts";
import type { IamProjection } from "./iam.projection.ts";

const onIam = (action: Action): Permission => ({ resource: RESOURCES.iam, action });

/** What each IamService method requires: `gantry:iam` (reads, creates, updates, deletes); Login is public, Logout and WhoAmI are every caller's own. */
export const IAM_PERMISSIONS: Permissions<typeof registryV1Iam.IamService> = {
  login: () => [],
  logout: () => [],
  whoAmI: () => [],
  createUser: () => onIam("create"),
  setPassword: () => onIam("update"),
  createServiceAccount: () => onIam("create"),
  deletePrincipal: () => onIam("delete"),
  listPrincipals: () => onIam("read"),
  createIamGroup: () => onIam("create"),
  deleteIamGroup: () => onIam("delete"),
  addMember: () => onIam("update"),
  removeMember: () => onIam("update"),
  listIamGroups: () => onIam("read"),
  grant: () => onIam("update"),
  revoke: () => onIam("update"),
  revokeToken: () => onIam("update"),
};

function actor(ctx: CallContext): IamActor {
  return { principal: ctx.principal.name, correlationId: ctx.correlationId };
}

const permissionsOf = (grants: readonly Permission[]) => grants.map((g) => ({ resourceId: resourceIdOf(g), action: g.action }));

/**
 * `gantry.registry.v1.IamService`: principals, groups, grants and tokens. Every change is logged
 * with the acting principal (never a password or a token).
 */
export function iamService(commands: IamCommands, projection: IamProjection, audit?: AccessAudit): ServiceBinding {
  const logged = (ctx: CallContext, fields: Record<string, unknown>, msg: string) => ctx.logger.info({ ...fields, principal: ctx.principal.name, correlationId: ctx.correlationId }, msg);
  return bindService(
    registryV1Iam.IamService,
    {
      async login(request, ctx) {
        const issued = await commands.login(request.uid, { password: request.password, token: request.token }, ctx.correlationId);
        ctx.logger.info({ uid: request.uid, tokenId: issued.tokenId, correlationId: ctx.correlationId }, "logged in");
        return issued;
      },
      async logout(_request, ctx) {
        if (ctx.principal.tokenId) await commands.revokeToken(ctx.principal.tokenId, actor(ctx), ctx.principal.name);
        logged(ctx, { tokenId: ctx.principal.tokenId }, "logged out");
        return {};
      },
      async whoAmI(_request, ctx) {
        const p = ctx.principal;
        return { principal: p.name, roles: p.roles, groups: projection.groupsOf(p.name), permissions: permissionsOf(grantsOf(p)), tokenId: p.tokenId ?? "" };
      },
      async createUser(request, ctx) {
        await commands.createUser(request.name, request.password, request.description, actor(ctx));
        logged(ctx, { user: request.name }, "user created");
        return {};
      },
      async setPassword(request, ctx) {
        await commands.setPassword(request.name, request.password, actor(ctx));
        logged(ctx, { user: request.name }, "password changed");
        return {};
      },
      async createServiceAccount(request, ctx) {
        await commands.createServiceAccount(request.name, request.publicKeyPem, request.description, actor(ctx));
        logged(ctx, { serviceAccount: request.name }, "service account created");
        return {};
      },
      async deletePrincipal(request, ctx) {
        await commands.deletePrincipal(request.name, actor(ctx));
        logged(ctx, { deleted: request.name }, "principal deleted");
        return {};
      },
      async listPrincipals() {
        const principals = [...projection.principals.values()].sort((a, b) => a.name.localeCompare(b.name));
        return { principals: principals.map((p) => ({ name: p.name, kind: p.kind, description: p.description, groups: projection.groupsOf(p.name), permissions: permissionsOf(p.grants) })) };
      },
      async createIamGroup(request, ctx) {
        await commands.createGroup(request.name, request.description, actor(ctx));
        logged(ctx, { group: request.name }, "group created");
        return {};
      },
      async deleteIamGroup(request, ctx) {
        await commands.deleteGroup(request.name, actor(ctx));
        logged(ctx, { group: request.name }, "group deleted");
        return {};
      },
      async addMember(request, ctx) {
        await commands.addMember(request.group, request.principal, actor(ctx));
        logged(ctx, { group: request.group, member: request.principal }, "member added");
        return {};
      },
      async removeMember(request, ctx) {
        await commands.removeMember(request.group, request.principal, actor(ctx));
        logged(ctx, { group: request.group, member: request.principal }, "member removed");
        return {};
      },
      async listIamGroups() {
        const groups = [...projection.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
        return { groups: groups.map((g) => ({ name: g.name, description: g.description, members: [...g.members].sort(), permissions: permissionsOf(g.grants) })) };
      },
      async grant(request, ctx) {
        await commands.grant(request.holder, request.resourceId, request.action, actor(ctx));
        logged(ctx, { holder: request.holder, resource: request.resourceId, action: request.action }, "permission granted");
        return {};
      },
      async revoke(request, ctx) {
        await commands.revoke(request.holder, request.resourceId, request.action, actor(ctx));
        logged(ctx, { holder: request.holder, resource: request.resourceId, action: request.action }, "permission revoked");
        return {};
      },
      async revokeToken(request, ctx) {
        await commands.revokeToken(request.tokenId, actor(ctx));
        logged(ctx, { tokenId: request.tokenId }, "token revoked");
        return {};
      },
    },
    IAM_PERMISSIONS,
    audit,
  );
}
