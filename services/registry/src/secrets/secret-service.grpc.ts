import { registryV1Secrets } from "@gantry/proto";
import { bindService, isAllowed, onPath, RESOURCES, type AccessAudit, type Action, type CallContext, type Permission, type Permissions, type ServiceBinding } from "@gantry/platform";
import type { RegistryProjection } from "../app/registry.projection.ts";
import { isUnder } from "../domain/index.ts";
import type { SecretCommands } from "./secret.commands.ts";

/** `gantry:secrets` at a secret's path. */
export function onSecret(action: Action, path: string): Permission {
  return onPath(RESOURCES.secrets, action, path);
}

/**
 * `gantry.registry.v1.SecretService`: creating a secret needs `gantry:secrets:<path> create`
 * (replacing one, update), deleting it delete; a list shows the paths the caller may read
 * (never a value).
 */
export function secretService(commands: SecretCommands, projection: RegistryProjection, audit?: AccessAudit): ServiceBinding {
  const permissions: Permissions<typeof registryV1Secrets.SecretService> = {
    putSecret: (r) => onSecret(projection.state().secrets.has(r.path) ? "update" : "create", r.path),
    listSecrets: () => [],
    deleteSecret: (r) => onSecret("delete", r.path),
  };
  const actor = (ctx: CallContext) => ({ principal: ctx.principal.name, correlationId: ctx.correlationId });
  return bindService(
    registryV1Secrets.SecretService,
    {
      async putSecret(request, ctx) {
        const created = await commands.put(request.path, request.value, actor(ctx));
        ctx.logger.info({ secret: request.path, created, principal: ctx.principal.name, correlationId: ctx.correlationId }, created ? "secret created" : "secret replaced");
        return { created };
      },
      async listSecrets(request, ctx) {
        const secrets = [...projection.state().secrets].filter(([path]) => isUnder(path, request.under || "/") && isAllowed(ctx.principal, onSecret("read", path)));
        return { secrets: secrets.sort(([a], [b]) => a.localeCompare(b)).map(([path, s]) => ({ path, updatedAt: s.updatedAt })) };
      },
      async deleteSecret(request, ctx) {
        await commands.delete(request.path, actor(ctx));
        ctx.logger.info({ secret: request.path, principal: ctx.principal.name, correlationId: ctx.correlationId }, "secret deleted");
        return {};
      },
    },
    permissions,
    audit,
  );
}
