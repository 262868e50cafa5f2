import { Command, InvalidArgumentError } from "commander";
import type { DescMessage, JsonObject, MessageShape } from "@bufbuild/protobuf";
import { resolveClientConfig } from "../client-config.ts";
import { openApiClient, type ApiClient } from "../api-client.ts";
import { printResult, printView, type OutputOptions } from "../output.ts";
import { readDefinition } from "../read-json-input.ts";
import { GantryError } from "@gantry/platform";
import { describeRef, type DeploymentRefLike } from "../render/deployments.ts";
import { messageJson } from "../render/message-json.ts";
import { statusJson } from "../render/run-spec-status.ts";
import { renderRunSpec, type RunSpecSummary, type StoredRunSpec } from "../render/run-specs.ts";
import { renderTable } from "../render/table.ts";
import { followDeployment, requireSuccess } from "./deployment-follow.ts";
import { fetchRunSpecStatus } from "./run-spec-status.ts";

/**
 * What the command groups (`app`, `pod`, `group`, `deployment`, `task`, `node`) share: the
 * client, the common switches, argument parsers and the `versions` subcommand.
 */

/** The switches of a mutating command. */
export interface MutationOptions extends OutputOptions {
  force?: boolean;
  /** Return once the change is accepted instead of following its deployment. */
  detach?: boolean;
}

/** Runs `fn` with an API client for the configured gateway, closing it afterwards. */
export async function withClient<T>(fn: (api: ApiClient) => Promise<T>): Promise<T> {
  const api = openApiClient(resolveClientConfig());
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}

/**
 * A command group (`gantry app`, …). Its subcommands, made with `.command()`, inherit its
 * settings: a command line commander rejects throws a CommanderError (exit 2 through
 * `reportError`) instead of exiting the process.
 */
export function commandGroup(name: string, description: string, help?: string): Command {
  const group = new Command(name).description(description).exitOverride().showHelpAfterError(`(see gantry ${name} --help)`);
  if (help) group.addHelpText("after", `\n${help}`);
  return group;
}

/** Adds `--json`. */
export function withJson(cmd: Command): Command {
  return cmd.option("--json", "print the response as canonical JSON instead of text");
}

/**
 * Adds `--json`, `--force` (cancel the deployments the change conflicts with) and `--detach`: a
 * change is followed until its deployment ends (see `followChange`) unless detached or --json.
 */
export function withForce(cmd: Command): Command {
  return withJson(cmd)
    .option("--force", "cancel running deployments this change conflicts with, instead of failing")
    .option("--detach", "return once the change is accepted; do not follow its deployment");
}

/**
 * After a change was printed: follows its deployment until it ends, showing its progress, and
 * fails (exit 1) when it does not succeed. Not with --detach or --json (scripts get the response
 * at once and may `gantry deployment watch <id>`), nor when the change needed no deployment.
 */
export async function followChange(opts: MutationOptions, deploymentId: string | undefined): Promise<void> {
  if (opts.json || opts.detach || !deploymentId) return;
  const end = await withClient((api) => followDeployment(api, deploymentId));
  requireSuccess(deploymentId, end);
}

/** Commander parser of an instance count: an integer ≥ 0. */
export function instanceCount(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of instances (0 or more)");
  return n;
}

/** Commander parser of a scale factor: a finite number > 0 (0.5 halves, 2 doubles). */
export function scaleFactor(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number greater than 0");
  return n;
}

/** Adds `<group> versions <id>`: every stored version of one app, pod or group, newest first. */
export function addVersionsCommand<D extends DescMessage>(
  group: Command,
  noun: string,
  schema: D,
  list: (api: ApiClient, id: string) => Promise<MessageShape<D> & { versions: string[] }>,
): void {
  withJson(
    group
      .command("versions")
      .description(`list every stored version of ${article(noun)}, newest first (show one with \`show <id> --version <v>\`)`)
      .argument("<id>", `${noun} id`),
  ).action(async (id: string, opts: OutputOptions) => {
    const result = await withClient((api) => list(api, id));
    printResult(opts, schema, result, () => renderTable(["version"], result.versions.map((v) => [v]), "no versions"));
  });
}

/** A stored app or pod version message and how to summarise its definition. */
interface ShowSpec<D extends DescMessage> {
  noun: string;
  schema: D;
  get: (api: ApiClient, id: string, version: string | undefined) => Promise<(MessageShape<D> & StoredRunSpec) | undefined>;
  summarize: (definition: StoredRunSpec["definition"]) => RunSpecSummary;
}

/**
 * Adds `<group> show <id> [--version <v>]`: the current version of an app or pod with its status
 * (see `fetchRunSpecStatus`), or one stored version's definition alone.
 */
export function addShowCommand<D extends DescMessage>(group: Command, spec: ShowSpec<D>): void {
  withJson(
    group
      .command("show")
      .description(
        `print ${article(spec.noun)}'s definition and how it does (tasks, instances waiting and why, last failed task); --version prints a stored version's definition only; --json prints the stored ${spec.noun} version with its \`status\``,
      )
      .argument("<id>", `${spec.noun} id, e.g. /shop/web`)
      .option("--version <version>", "a stored version (see `versions <id>`)"),
  ).action(async (id: string, opts: OutputOptions & { version?: string }) => {
    const [found, status] = await withClient(async (api) => {
      const stored = await spec.get(api, id, opts.version);
      // An old version is history: how the app or pod does now goes with the current one.
      return [stored, stored && !opts.version ? await fetchRunSpecStatus(api, stored.id, spec.noun === "pod") : undefined] as const;
    });
    if (!found) throw new GantryError("NotFound", `${spec.noun} '${id}' was not returned`);
    printView(
      opts,
      () => ({ ...messageJson(spec.schema, found), ...(status ? { status: statusJson(status) } : {}) }),
      () => renderRunSpec(found, spec.summarize(found.definition), status),
    );
  });
}

/** "an app", "a pod": the noun with its indefinite article, for help texts. */
function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** The confirmation line of a change: `created /shop/web (deployment D, version V)`. */
export function changed(verb: string, id: string, ref: DeploymentRefLike | undefined): string {
  return `${verb} ${id} (${describeRef(ref)})`;
}

/** Adds `<group> add [file]`: create an app, pod or group from a definition read from FILE or stdin. */
export function addCreateCommand<D extends DescMessage>(
  group: Command,
  noun: string,
  schema: D,
  create: (api: ApiClient, definition: JsonObject, opts: MutationOptions) => Promise<MessageShape<D>>,
  confirm: (result: MessageShape<D>, definition: JsonObject) => string,
  deploymentOf: (result: MessageShape<D>) => string | undefined,
): Command {
  return withForce(
    group
      .command("add")
      .description(`create ${article(noun)} from a JSON definition (FILE, or stdin when - or absent)`)
      .argument("[file]", `${noun} definition (JSON)`),
  ).action(async (file: string | undefined, opts: MutationOptions) => {
    const definition = await readDefinition(file);
    const result = await withClient((api) => create(api, definition, opts));
    printResult(opts, schema, result, () => confirm(result, definition));
    await followChange(opts, deploymentOf(result));
  });
}

/** Adds `<group> remove <id>` (alias `rm`): delete an app, pod or group; `what` says what goes with it. */
export function addRemoveCommand<D extends DescMessage>(
  group: Command,
  noun: string,
  what: string,
  schema: D,
  remove: (api: ApiClient, id: string, force: boolean) => Promise<MessageShape<D>>,
  ref: (result: MessageShape<D>) => DeploymentRefLike | undefined,
): void {
  withForce(group.command("remove").alias("rm").description(`delete ${article(noun)}; ${what}`).argument("<id>", `${noun} id`)).action(
    async (id: string, opts: MutationOptions) => {
      const result = await withClient((api) => remove(api, id, opts.force ?? false));
      printResult(opts, schema, result, () => changed(noun === "group" ? "removed group" : "removed", id, ref(result)));
      await followChange(opts, ref(result)?.deploymentId);
    },
  );
}
