import type { Command } from "commander";
import { registryV1 } from "@gantry/proto";
import { printResult, printView, type OutputOptions } from "../output.ts";
import { deploymentsJson, describeRef, renderDeployments } from "../render/deployments.ts";
import { commandGroup, followChange, withClient, withJson, type MutationOptions } from "./command-kit.ts";
import { followDeployment, requireSuccess } from "./deployment-follow.ts";
import { fetchDeploymentProblems } from "./run-spec-status.ts";

/** `gantry deployment …`: list running deployments, follow one, roll one back or cancel it. */
export function deploymentCommand(): Command {
  const deployment = commandGroup(
    "deployment",
    "follow and cancel deployments (the plans that carry out app, pod and group changes)",
    "Cancelling rolls the deployment back (a new deployment to the previous state); --force only stops it.",
  );

  withJson(deployment.command("list").alias("ls").description("list running deployments: affected apps and pods, current step and actions, and what holds them up (instances waiting and why, failed tasks)")).action(
    async (opts: OutputOptions) => {
      const [result, problems] = await withClient(async (api) => {
        const listed = await api.registry.listDeployments({});
        return [listed, await fetchDeploymentProblems(api, listed.deployments)] as const;
      });
      printView(opts, () => deploymentsJson(result, problems), () => renderDeployments(result.deployments, problems));
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

  deployment
    .command("watch")
    .description("follow a deployment until it ends: step i/n, its actions, instances serving/wanted; exit 1 unless it succeeds")
    .argument("<id>", "deployment id (see `gantry deployment list`)")
    .action(async (id: string) => {
      const end = await withClient((api) => followDeployment(api, id));
      requireSuccess(id, end);
    });

  withJson(
    deployment
      .command("rollback")
      .description("cancel a running deployment by rolling it back to the state before it, and follow the rollback until it ends")
      .argument("<id>", "deployment id (see `gantry deployment list`)")
      .option("--detach", "return once the rollback is accepted"),
  ).action(async (id: string, opts: MutationOptions) => {
    const result = await withClient((api) => api.registry.cancelDeployment({ id, force: false }));
    printResult(opts, registryV1.CancelDeploymentResponseSchema, result, () => `cancelled ${id}; rolling back in ${describeRef(result.rollback)}`);
    await followChange(opts, result.rollback?.deploymentId);
  });

  return deployment;
}
