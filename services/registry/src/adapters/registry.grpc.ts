import { registryV1 } from "@gantry/proto";
import { GantryError, authorize, bindService, injectTraceparent, type CallContext, type ServiceBinding } from "@gantry/platform";
import type { AppCommands, CommandContext } from "../app/app-commands.ts";
import type { AppRecord, AppsProjection } from "../app/apps.projection.ts";

function commandContext(ctx: CallContext): CommandContext {
  const { traceparent } = injectTraceparent();
  return { principal: ctx.principal.name, correlationId: ctx.correlationId, ...(traceparent ? { traceparent } : {}) };
}

function appVersion(app: AppRecord) {
  return { id: app.id, version: app.version, definition: app.definition };
}

/** `gantry.registry.v1.RegistryService` over the registry's commands and projection; every call is authorised per app path. */
export function registryService(commands: AppCommands, apps: AppsProjection): ServiceBinding {
  return bindService(registryV1.RegistryService, {
    async createApp(request, ctx) {
      const id = typeof request.definition?.id === "string" ? request.definition.id : "/";
      authorize(ctx.principal, "createApp", id);
      const change = await commands.create(request.definition ?? {}, commandContext(ctx));
      ctx.logger.info({ app: change.app.id, deployment: change.deploymentId }, "app created");
      return { app: appVersion(change.app), deploymentId: change.deploymentId };
    },
    async getApp(request, ctx) {
      authorize(ctx.principal, "readApp", request.id);
      const app = apps.get(request.id);
      if (!app) throw notFound(request.id);
      return { app: appVersion(app) };
    },
    async listApps(_request, ctx) {
      authorize(ctx.principal, "readApp", "/");
      return { apps: apps.list().map(appVersion) };
    },
    async deleteApp(request, ctx) {
      authorize(ctx.principal, "deleteApp", request.id);
      const result = await commands.delete(request.id, commandContext(ctx));
      ctx.logger.info({ app: request.id, deployment: result.deploymentId }, "app deleted");
      return result;
    },
  });
}

function notFound(id: string): GantryError {
  return new GantryError("NotFound", `App '${id}' does not exist`, { details: { id } });
}
