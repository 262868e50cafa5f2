import type { Command } from "commander";
import { registryV1Secrets } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import { printResult, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { readPassword } from "./secret-input.ts";

const EXAMPLES = `A secret is a named value an app or pod uses through Marathon's secrets, e.g.
  "secrets": {"db": {"source": "/team-a/db-password"}}, "env": {"DB_PASSWORD": {"secret": "db"}}
Its value is sealed with the cluster's secrets key before it is stored, sealed into the run specs
that use it (re-deploy an app to give it a new value), opened only by the agent that launches
the task, and never shown again. Using a secret in an app needs gantry:secrets:<path> read.

Examples:
  echo -n "$DB_PASSWORD" | gantry secret create /team-a/db-password --value-stdin
  gantry secret create /team-a/db-password          # asks for the value
  gantry secret list --under /team-a
  gantry secret delete /team-a/db-password`;

/** `gantry secret create|list|delete`. */
export function secretCommand(): Command {
  const secret = commandGroup("secret", "store values apps and pods use as secrets; values are never shown", EXAMPLES);
  secret
    .command("create")
    .description("store a secret's value (replacing the one stored at that path)")
    .argument("<path>", "an absolute path, e.g. /team-a/db-password")
    .option("--value-stdin", "read the value from stdin instead of asking")
    .action(async (path: string, opts: { valueStdin?: boolean }) => {
      const value = await readPassword({ passwordStdin: opts.valueStdin }, `value of ${path}`);
      if (value === "") throw new GantryError("InvalidArgument", "value: must not be empty");
      const { created } = await withClient((api) => api.secrets.putSecret({ path, value }));
      process.stdout.write(`secret ${path} ${created ? "created" : "replaced (apps using it get the new value when they are next deployed)"}\n`);
    });
  withJson(secret.command("list").alias("ls").description("the secrets you may read (paths only)").option("--under <path>", "only those at or below this path")).action(
    async (opts: OutputOptions & { under?: string }) => {
      const result = await withClient((api) => api.secrets.listSecrets({ under: opts.under ?? "" }));
      printResult(opts, registryV1Secrets.ListSecretsResponseSchema, result, () => renderTable(["PATH", "UPDATED"], result.secrets.map((s) => [s.path, s.updatedAt || "-"]), "no secrets"));
    },
  );
  secret
    .command("delete")
    .argument("<path>")
    .description("delete a secret (run specs that sealed it keep their copy until they change)")
    .action(async (path: string) => {
      await withClient((api) => api.secrets.deleteSecret({ path }));
      process.stdout.write(`secret ${path} deleted\n`);
    });
  return secret;
}
