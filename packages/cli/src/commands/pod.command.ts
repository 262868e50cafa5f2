import type { Command } from "commander";
import { registryV1, registryV1App } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { readDefinition } from "../read-json-input.ts";
import { summarizePod } from "../render/run-specs.ts";
import { renderTable } from "../render/table.ts";
import { addCreateCommand, addRemoveCommand, addShowCommand, addVersionsCommand, changed, commandGroup, followChange, withClient, withForce, withJson, type MutationOptions } from "./command-kit.ts";
import { addDebugCommand } from "./placement-debug.ts";
import { addPodExecCommand } from "./exec.command.ts";

const EXAMPLES = `Definitions are Marathon 1.4 pod JSON ({id, containers[], scaling, …}), read from FILE, or from
stdin when FILE is - or absent. Resources shown are the sums over a pod's containers.

Examples:
  gantry pod add pod.json
  gantry pod update /shop/cache pod-v2.json --force
  gantry pod versions /shop/cache
  gantry pod debug /shop/cache     # why its instances wait: per agent, which check refused it`;

/** `gantry pod …`: add, list, show, update and remove pods; their versions; why they wait (`debug`). */
export function podCommand(): Command {
  const pod = commandGroup("pod", "manage pods (Marathon 1.4 pod definitions)", EXAMPLES);

  addCreateCommand(
    pod,
    "pod",
    registryV1.CreatePodResponseSchema,
    (api, definition, opts) => api.registry.createPod({ definition, force: opts.force ?? false }),
    (result) => changed("created", result.pod?.id ?? "", { deploymentId: result.deploymentId, version: result.pod?.version }),
    (result) => result.deploymentId,
  );

  withJson(pod.command("list").alias("ls").description("list pods: instances, containers, summed resources per instance and version")).action(
    async (opts: OutputOptions) => {
      const result = await withClient((api) => api.registry.listPods({}));
      printResult(opts, registryV1.ListPodsResponseSchema, result, () => {
        const rows = result.pods.map((p) => {
          const s = summarizePod(p.definition);
          return [p.id, s.instances, s.what, s.cpus, s.mem, p.version];
        });
        return renderTable(["id", "instances", "containers", "cpus", "mem", "version"], rows, "no pods");
      });
    },
  );

  addShowCommand(pod, {
    noun: "pod",
    schema: registryV1App.PodVersionSchema,
    get: async (api, id, version) => (version ? await api.registry.getPodVersion({ id, version }) : await api.registry.getPod({ id })).pod,
    summarize: summarizePod,
  });

  withForce(
    pod
      .command("update")
      .description("replace a pod's definition; creates the pod when missing")
      .argument("<id>", "pod id")
      .argument("[file]", "pod definition (JSON); stdin when - or absent"),
  ).action(async (id: string, file: string | undefined, opts: MutationOptions) => {
    const definition = await readDefinition(file);
    const result = await withClient((api) => api.registry.updatePod({ id, definition, force: opts.force ?? false }));
    printResult(opts, registryV1.UpdatePodResponseSchema, result, () =>
      changed(result.created ? "created" : "updated", id, { deploymentId: result.deploymentId, version: result.pod?.version }),
    );
    await followChange(opts, result.deploymentId);
  });

  addRemoveCommand(
    pod,
    "pod",
    "its instances are killed",
    registryV1.DeletePodResponseSchema,
    (api, id, force) => api.registry.deletePod({ id, force }),
    (result) => result.deployment,
  );

  addVersionsCommand(pod, "pod", registryV1.ListPodVersionsResponseSchema, (api, id) => api.registry.listPodVersions({ id }));

  addDebugCommand(pod, "pod");
  addPodExecCommand(pod);

  return pod;
}
