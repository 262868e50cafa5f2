import type { Command } from "commander";
import { registryV1 } from "@gantry/proto";
import { printJson, printResult, type OutputOptions } from "../output.ts";
import { readDefinition } from "../read-json-input.ts";
import { renderPlan } from "../render/deployments.ts";
import { flattenGroups, readGroup, runSpecsOf, type GroupNode } from "../render/run-specs.ts";
import { renderKeyValues, renderTable } from "../render/table.ts";
import { addCreateCommand, addRemoveCommand, addVersionsCommand, changed, commandGroup, followChange, scaleFactor, withClient, withForce, withJson, type MutationOptions } from "./command-kit.ts";

const EXAMPLES = `Definitions are Marathon 1.4 group JSON ({id, apps[], pods[], groups[], dependencies[]}), read
from FILE, or from stdin when FILE is - or absent. Group ids are paths; "/" is the root group.

Examples:
  gantry group add shop.json
  gantry group update /shop shop-v2.json --dry-run     # print the plan, change nothing
  gantry group update /shop --rollback 2017-01-01T00:00:00.000Z
  gantry group scale /shop 2                            # double every app in /shop`;

interface UpdateOptions extends MutationOptions {
  dryRun?: boolean;
  rollback?: string;
}

/** `gantry group show`: the group's own fields, then every app and pod in it (transitively). */
function renderGroup(group: GroupNode): string {
  const head = renderKeyValues([
    ["id", group.id],
    ["version", group.version],
    ["dependencies", group.dependencies.join(", ")],
    ["groups", group.groups.map((g) => g.id).join(", ")],
  ]);
  const specs = runSpecsOf(group);
  if (specs.length === 0) return `${head}\n\nno apps or pods`;
  const rows = specs.map((s) => [s.kind, s.id, s.instances, s.cpus, s.mem, s.version]);
  return `${head}\n\n${renderTable(["kind", "id", "instances", "cpus", "mem", "version"], rows)}`;
}

/** `gantry group …`: add, list, show, update (dry run, rollback), scale and remove groups, and their versions. */
export function groupCommand(): Command {
  const group = commandGroup("group", "manage groups: trees of apps and pods deployed together", EXAMPLES);

  addCreateCommand(
    group,
    "group",
    registryV1.CreateGroupResponseSchema,
    (api, definition, opts: MutationOptions & { parent?: string }) =>
      api.registry.createGroup({ definition, force: opts.force ?? false, parentId: opts.parent ?? "" }),
    (result, definition) => changed("created group", String(definition.id ?? ""), result.deployment),
    (result) => result.deployment?.deploymentId,
  ).option("--parent <id>", "the group a relative id is resolved against (default /)");

  withJson(
    group
      .command("list")
      .alias("ls")
      .description("list a group and every group below it with their numbers of apps, pods and sub-groups")
      .argument("[id]", "the group to start from", "/"),
  ).action(async (id: string, opts: OutputOptions) => {
    const result = await withClient((api) => api.registry.getGroup({ id }));
    printResult(opts, registryV1.GetGroupResponseSchema, result, () => {
      const rows = flattenGroups(readGroup(result.group)).map((g) => [g.id, g.apps.length, g.pods.length, g.groups.length, g.version]);
      return renderTable(["id", "apps", "pods", "groups", "version"], rows);
    });
  });

  withJson(
    group
      .command("show")
      .description("print a group with every app and pod in it; --json prints Marathon's group JSON")
      .argument("<id>", "group id, e.g. /shop; / for the root")
      .option("--version <version>", "the group as it was at a stored version (see `versions <id>`)"),
  ).action(async (id: string, opts: OutputOptions & { version?: string }) => {
    const version = opts.version;
    const json = await withClient(async (api) => (version ? await api.registry.getGroupVersion({ id, version }) : await api.registry.getGroup({ id })).group);
    if (opts.json) return printJson(json ?? {});
    process.stdout.write(renderGroup(readGroup(json)) + "\n");
  });

  withForce(
    group
      .command("update")
      .description("change a group tree to the definition given; --dry-run prints the deployment plan and changes nothing")
      .argument("<id>", "group id")
      .argument("[file]", "group definition (JSON); stdin when - or absent; not read with --rollback")
      .option("--dry-run", "compute and print the plan only")
      .option("--rollback <version>", "go back to a stored version of the group instead (see `versions <id>`)"),
  ).action(async (id: string, file: string | undefined, opts: UpdateOptions) => {
    const definition = opts.rollback ? undefined : await readDefinition(file);
    const result = await withClient((api) =>
      api.registry.updateGroup({ id, definition, version: opts.rollback ?? "", dryRun: opts.dryRun ?? false, force: opts.force ?? false }),
    );
    printResult(opts, registryV1.UpdateGroupResponseSchema, result, () =>
      opts.dryRun ? `dry run of ${id}: nothing changed; the plan would be\n${renderPlan(result.plan)}` : changed("updated group", id, result.deployment),
    );
    if (!opts.dryRun) await followChange(opts, result.deployment?.deploymentId);
  });

  withForce(
    group
      .command("scale")
      .description("multiply the instances of every app in a group (and below it) by FACTOR")
      .argument("<id>", "group id")
      .argument("<factor>", "scale factor: 2 doubles, 0.5 halves", scaleFactor),
  ).action(async (id: string, factor: number, opts: MutationOptions) => {
    const result = await withClient((api) => api.registry.updateGroup({ id, scaleBy: factor, force: opts.force ?? false }));
    printResult(opts, registryV1.UpdateGroupResponseSchema, result, () => changed(`scaling group by ${factor}:`, id, result.deployment));
    await followChange(opts, result.deployment?.deploymentId);
  });

  addRemoveCommand(
    group,
    "group",
    "every app, pod and group in it goes too",
    registryV1.DeleteGroupResponseSchema,
    (api, id, force) => api.registry.deleteGroup({ id, force }),
    (result) => result.deployment,
  );

  addVersionsCommand(group, "group", registryV1.ListGroupVersionsResponseSchema, (api, id) => api.registry.listGroupVersions({ id }));

  return group;
}
