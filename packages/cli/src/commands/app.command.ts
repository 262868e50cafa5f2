import { Command } from "commander";
import { registryV1, registryV1App, schedulerV1Model } from "@gantry/proto";
import { resolveClientConfig } from "../client-config.ts";
import { openApiClient, type ApiClient } from "../api-client.ts";
import { messageJson, printJson, type OutputOptions } from "../output.ts";
import { readJsonInput } from "../read-json-input.ts";
import { renderTable } from "../render/table.ts";

/** Runs `fn` with an API client for the configured gateway, closing it afterwards. */
export async function withClient<T>(fn: (api: ApiClient) => Promise<T>): Promise<T> {
  const api = openApiClient(resolveClientConfig());
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}

/** `gantry app …`: add, list, show and remove apps (Marathon JSON). */
export function appCommand(): Command {
  const app = new Command("app").description("manage apps (Marathon 1.4 app definitions)");

  app
    .command("add")
    .description("create an app from a JSON file, or stdin when FILE is - or absent")
    .argument("[file]", "app definition (JSON)")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, opts: OutputOptions) => {
      const definition = await readJsonInput(file);
      const result = await withClient((api) => api.registry.createApp({ definition: definition as never }));
      if (opts.json) return printJson(messageJson(registryV1.CreateAppResponseSchema, result));
      process.stdout.write(`created ${result.app?.id} version ${result.app?.version} (deployment ${result.deploymentId})\n`);
    });

  app
    .command("list")
    .description("list apps with their version and running tasks")
    .option("--json", "print the result as JSON")
    .action(async (opts: OutputOptions) => {
      const [apps, tasks] = await withClient((api) => Promise.all([api.registry.listApps({}), api.scheduler.listTasks({})]));
      if (opts.json) return printJson(messageJson(registryV1.ListAppsResponseSchema, apps));
      const rows = apps.apps.map((a) => {
        const running = tasks.tasks.filter((t) => t.appId === a.id && t.state === schedulerV1Model.TaskState.RUNNING).length;
        const def = a.definition ?? {};
        return [a.id, `${running}/${def.instances ?? 1}`, String(def.cpus ?? ""), String(def.mem ?? ""), a.version, String(def.cmd ?? "")];
      });
      process.stdout.write(renderTable(["id", "tasks", "cpus", "mem", "version", "cmd"], rows) + "\n");
    });

  app
    .command("show")
    .description("print an app's current definition")
    .argument("<id>", "app id, e.g. /shop/web")
    .action(async (id: string) => {
      const { app: found } = await withClient((api) => api.registry.getApp({ id }));
      printJson(messageJson(registryV1App.AppVersionSchema, found!));
    });

  app
    .command("remove")
    .alias("rm")
    .description("delete an app; its tasks are killed")
    .argument("<id>", "app id")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: OutputOptions) => {
      const result = await withClient((api) => api.registry.deleteApp({ id }));
      if (opts.json) return printJson(messageJson(registryV1.DeleteAppResponseSchema, result));
      process.stdout.write(`removed ${id} (deployment ${result.deploymentId})\n`);
    });

  return app;
}
