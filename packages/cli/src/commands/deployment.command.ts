import type { Command } from "commander";
import { registryV1 } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { describeRef, renderDeployments } from "../render/deployments.ts";
import { commandGroup, withClient, withJson, type MutationOptions } from "./command-kit.ts";

/** `gantry deployment …`: list running deployments, cancel one. */
export function deploymentCommand(): Command {
  const deployment = commandGroup(
    "deployment",
    "follow and cancel deployments (the plans that carry out app, pod and group changes)",
    "Cancelling rolls the deployment back (a new deployment to the previous state); --force only stops it.",
  );

  withJson(deployment.command("list").alias("ls").description("list running deployments: affected apps and pods, current step and actions")).action(
    async (opts: OutputOptions) => {
      const result = await withClient((api) => api.registry.listDeployments({}));
      printResult(opts, registryV1.ListDeploymentsResponseSchema, result, () =>
        result.deployments.length === 0 ? "no deployments running" : renderDeployments(result.deployments),
      );
    },
  );

  withJson(
    deployment
      .command("cancel")
      .description("cancel a running deployment by rolling it back; with --force stop it where it is, without rollback")
      .argument("<id>", "deployment id (see `gantry deployment list`)")
      .option("--force", "only stop the deployment; leave everything as it is now"),
  ).action(async (id: string, opts: MutationOptions) => {
    const result = await withClient((api) => api.registry.cancelDeployment({ id, force: opts.force ?? false }));
    printResult(opts, registryV1.CancelDeploymentResponseSchema, result, () =>
      result.rollback?.deploymentId ? `cancelled ${id}; rolling back in ${describeRef(result.rollback)}` : `stopped ${id} (no rollback)`,
    );
  });

  return deployment;
}
