import type { Command } from "commander";
import { schedulerV1 } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import { printResult, type OutputOptions } from "../output.ts";
import { renderPlacementExplanation } from "../render/placement.ts";
import { withClient, withJson } from "./command-kit.ts";

/**
 * Adds `<group> debug <id>` (`gantry app debug`, `gantry pod debug`): why the app's or pod's
 * instances are not placed, per agent and check (the scheduler's ExplainPlacement). --json prints
 * the ExplainPlacementResponse. Fails (exit 1) when the scheduler does not know the id. Both
 * groups ask the same question (the id names one run spec); the output says which kind it is.
 */
export function addDebugCommand(group: Command, noun: "app" | "pod"): void {
  withJson(
    group
      .command("debug")
      .description(`why ${noun === "app" ? "an app's" : "a pod's"} instances are not placed: per agent, which check (role, constraint, cpu, mem, disk, gpu, port) refused it and why`)
      .argument("<id>", `${noun} id, e.g. /shop/web`),
  ).action(async (id: string, opts: OutputOptions) => {
    const result = await withClient((api) => api.scheduler.explainPlacement({ id }));
    const explanation = result.explanation;
    if (!explanation) throw new GantryError("NotFound", `the scheduler has no placement explanation for ${noun} '${id}'`);
    printResult(opts, schedulerV1.ExplainPlacementResponseSchema, result, () => renderPlacementExplanation(explanation));
  });
}
