import type { Command } from "commander";
import { registryV1, registryV1App, schedulerV1Model } from "@gantry/proto";
import { printResult, printView } from "../output.ts";
import { messageJson } from "../render/message-json.ts";
import { readDefinition } from "../read-json-input.ts";
import { summarizeApp } from "../render/run-specs.ts";
import { renderTable } from "../render/table.ts";
import {
  addCreateCommand,
  addRemoveCommand,
  addShowCommand,
  addVersionsCommand,
  changed,
  commandGroup,
  instanceCount,
  withClient,
  followChange,
  withForce,
  withJson,
  type MutationOptions,
} from "./command-kit.ts";
import { addDebugCommand } from "./placement-debug.ts";
import { addAppMetricsCommand } from "./metrics.command.ts";

const EXAMPLES = `Definitions are Marathon 1.4 app JSON, read from FILE, or from stdin when FILE is - or absent.
Mutations print the deployment that carries them out and follow it until it ends (step i/n, instances
serving/wanted), failing when it is cancelled or fails; --detach (or --json) returns at once.

Examples:
  gantry app add web.json
  echo '{"id":"/shop/web","cmd":"sleep 1000","cpus":0.1,"mem":32}' | gantry app add
  gantry app update /shop/web --partial - <<< '{"mem":64}'
  gantry app scale /shop/web 3
  gantry app versions /shop/web && gantry app show /shop/web --version 2017-01-01T00:00:00.000Z
  gantry app debug /shop/web       # why its instances wait: per agent, which check refused it`;

interface ListOptions {
  json?: boolean;
  id?: string;
  cmd?: string;
  label?: string;
  group?: string;
}

/** `gantry app …`: add, list, show, update, scale, restart and remove apps; their versions; why they wait (`debug`). */
export function appCommand(): Command {
  const app = commandGroup("app", "manage apps (Marathon 1.4 app definitions)", EXAMPLES);

  addCreateCommand(
    app,
    "app",
    registryV1.CreateAppResponseSchema,
    (api, definition, opts) => api.registry.createApp({ definition, force: opts.force ?? false }),
    (result) => changed("created", result.app?.id ?? "", { deploymentId: result.deploymentId, version: result.app?.version }),
    (result) => result.deploymentId,
  );

  withJson(
    app
      .command("list")
      .alias("ls")
      .description("list apps: running/wanted tasks, resources per instance, version and command")
      .option("--id <text>", "only apps whose id contains TEXT")
      .option("--cmd <text>", "only apps whose cmd contains TEXT")
      .option("--label <selector>", "only apps matching a label selector: k, k==v, k!=v, k in (a,b), k notin (a,b); comma = and")
      .option("--group <id>", "only apps at or below this group, e.g. /shop"),
  ).action(async (opts: ListOptions) => {
    const filter = { id: opts.id ?? "", cmd: opts.cmd ?? "", label: opts.label ?? "", group: opts.group ?? "" };
    const [apps, tasks] = await withClient((api) => Promise.all([api.registry.listApps(filter), api.scheduler.listTasks({})]));
    // --json prints the apps alone (the answer's other lists are for the gateway's views).
    printView(opts, () => ({ apps: messageJson(registryV1.ListAppsResponseSchema, apps).apps }), () => {
      const rows = apps.apps.map((a) => {
        const s = summarizeApp(a.definition);
        const running = tasks.tasks.filter((t) => t.appId === a.id && t.state === schedulerV1Model.TaskState.RUNNING).length;
        return [a.id, `${running}/${s.instances}`, s.cpus, s.mem, a.version, s.what];
      });
      return renderTable(["id", "tasks", "cpus", "mem", "version", "cmd"], rows, Object.values(filter).some(Boolean) ? "no apps match" : "no apps");
    });
  });

  addShowCommand(app, {
    noun: "app",
    schema: registryV1App.AppVersionSchema,
    get: async (api, id, version) => (version ? await api.registry.getAppVersion({ id, version }) : await api.registry.getApp({ id })).app,
    summarize: summarizeApp,
  });

  withForce(
    app
      .command("update")
      .description("replace an app's definition (PUT), or with --partial change only the fields given (PATCH); creates the app when missing")
      .argument("<id>", "app id")
      .argument("[file]", "app definition (JSON); stdin when - or absent")
      .option("--partial", "keep the current value of every field the definition leaves out"),
  ).action(async (id: string, file: string | undefined, opts: MutationOptions & { partial?: boolean }) => {
    const definition = await readDefinition(file);
    const result = await withClient((api) => api.registry.updateApp({ id, definition, partial: opts.partial ?? false, force: opts.force ?? false }));
    printResult(opts, registryV1.UpdateAppResponseSchema, result, () =>
      changed(result.created ? "created" : "updated", id, { deploymentId: result.deploymentId, version: result.app?.version }),
    );
    await followChange(opts, result.deploymentId);
  });

  withForce(
    app.command("scale").description("set an app's number of instances (a partial update of `instances`)").argument("<id>", "app id").argument("<instances>", "instances wanted (0 or more)", instanceCount),
  ).action(async (id: string, instances: number, opts: MutationOptions) => {
    const result = await withClient((api) => api.registry.updateApp({ id, definition: { instances }, partial: true, force: opts.force ?? false }));
    printResult(opts, registryV1.UpdateAppResponseSchema, result, () =>
      changed(`scaling to ${instances} instance${instances === 1 ? "" : "s"}:`, id, { deploymentId: result.deploymentId, version: result.app?.version }),
    );
    await followChange(opts, result.deploymentId);
  });

  withForce(app.command("restart").description("replace every instance of an app, following its upgrade strategy").argument("<id>", "app id")).action(
    async (id: string, opts: MutationOptions) => {
      const result = await withClient((api) => api.registry.restartApp({ id, force: opts.force ?? false }));
      printResult(opts, registryV1.RestartAppResponseSchema, result, () => changed("restarting", id, result.deployment));
      await followChange(opts, result.deployment?.deploymentId);
    },
  );

  addRemoveCommand(
    app,
    "app",
    "its tasks are killed",
    registryV1.DeleteAppResponseSchema,
    (api, id, force) => api.registry.deleteApp({ id, force }),
    (result) => result,
  );

  addVersionsCommand(app, "app", registryV1.ListAppVersionsResponseSchema, (api, id) => api.registry.listAppVersions({ id }));

  addDebugCommand(app, "app");

  addAppMetricsCommand(app);
  return app;
}
