import type { Command } from "commander";
import { registryV1Iam } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { readPassword, readPemFile } from "./secret-input.ts";

const EXAMPLES = `Resource ids (actions: create, read, update, delete, full):
  gantry:apps[:/path]          apps, pods, groups, deployments, tasks and the queue under the path
  gantry:tasks:exec[:/path]    a shell in tasks under the path
  gantry:logs:read[:/path]     task logs under the path
  gantry:metrics:read[:/path]  task metrics under the path
  gantry:nodes                 agents (list, drain)
  gantry:events                the event stream and parked bus messages
  gantry:iam                   users, groups, service accounts and grants
  gantry:superuser             everything

Examples:
  gantry iam user create alice                    # asks for the password (or --password-stdin)
  gantry iam group create team-a
  gantry iam group add-member team-a alice
  gantry iam grant group:team-a gantry:apps:/team-a full
  gantry iam serviceaccount create ci --public-key ci.pub.pem
  gantry iam revoke alice gantry:apps:/team-a read`;

const done = (message: string) => () => process.stdout.write(`${message}\n`);
const permissionsText = (ps: readonly { resourceId: string; action: string }[]) => (ps.length ? ps.map((p) => `${p.resourceId} ${p.action}`).join(", ") : "-");

/** `gantry iam …`: users, service accounts, groups, grants and tokens. */
export function iamCommand(): Command {
  const iam = commandGroup("iam", "manage who may do what: users, service accounts, groups and grants", EXAMPLES);

  const user = iam.command("user").description("users (log in with a password)");
  user
    .command("create")
    .argument("<name>", "1-63 lower-case letters, digits, '_' or '-'")
    .option("--password-stdin", "read the password from stdin instead of asking")
    .option("--description <text>", "who it is")
    .action(async (name: string, opts: { passwordStdin?: boolean; description?: string }) => {
      const password = await readPassword(opts, `password for ${name}`);
      await withClient((api) => api.iam.createUser({ name, password, description: opts.description ?? "" }));
      done(`user ${name} created`)();
    });
  user
    .command("passwd")
    .description("set a user's password; its tokens issued before stop working")
    .argument("<name>")
    .option("--password-stdin", "read the password from stdin instead of asking")
    .action(async (name: string, opts: { passwordStdin?: boolean }) => {
      const password = await readPassword(opts, `new password for ${name}`);
      await withClient((api) => api.iam.setPassword({ name, password }));
      done(`password of ${name} changed`)();
    });
  user.command("delete").argument("<name>").description("delete a user or service account; its tokens stop working").action(async (name: string) => {
    await withClient((api) => api.iam.deletePrincipal({ name }));
    done(`${name} deleted`)();
  });
  withJson(user.command("list").alias("ls").description("users and service accounts, their groups and grants")).action(async (opts: OutputOptions) => {
    const result = await withClient((api) => api.iam.listPrincipals({}));
    printResult(opts, registryV1Iam.ListPrincipalsResponseSchema, result, () =>
      renderTable(["NAME", "KIND", "GROUPS", "PERMISSIONS"], result.principals.map((p) => [p.name, p.kind, p.groups.join(",") || "-", permissionsText(p.permissions)]), "no users or service accounts"),
    );
  });

  const account = iam.command("serviceaccount").alias("sa").description("service accounts (log in with an RS256 JWT signed by their key)");
  account
    .command("create")
    .argument("<name>")
    .requiredOption("--public-key <file>", "the account's RSA public key (PEM)")
    .option("--description <text>", "what it is for")
    .action(async (name: string, opts: { publicKey: string; description?: string }) => {
      const publicKeyPem = await readPemFile(opts.publicKey, "--public-key");
      await withClient((api) => api.iam.createServiceAccount({ name, publicKeyPem, description: opts.description ?? "" }));
      done(`service account ${name} created`)();
    });
  account.command("delete").argument("<name>").action(async (name: string) => {
    await withClient((api) => api.iam.deletePrincipal({ name }));
    done(`${name} deleted`)();
  });

  const group = iam.command("group").description("groups: what is granted to a group, its members may do");
  group.command("create").argument("<name>").option("--description <text>").action(async (name: string, opts: { description?: string }) => {
    await withClient((api) => api.iam.createIamGroup({ name, description: opts.description ?? "" }));
    done(`group ${name} created`)();
  });
  group.command("delete").argument("<name>").action(async (name: string) => {
    await withClient((api) => api.iam.deleteIamGroup({ name }));
    done(`group ${name} deleted`)();
  });
  group.command("add-member").argument("<group>").argument("<principal>").action(async (name: string, principal: string) => {
    await withClient((api) => api.iam.addMember({ group: name, principal }));
    done(`${principal} is a member of ${name}`)();
  });
  group.command("remove-member").argument("<group>").argument("<principal>").action(async (name: string, principal: string) => {
    await withClient((api) => api.iam.removeMember({ group: name, principal }));
    done(`${principal} is no longer a member of ${name}`)();
  });
  withJson(group.command("list").alias("ls").description("groups, their members and grants")).action(async (opts: OutputOptions) => {
    const result = await withClient((api) => api.iam.listIamGroups({}));
    printResult(opts, registryV1Iam.ListIamGroupsResponseSchema, result, () =>
      renderTable(["NAME", "MEMBERS", "PERMISSIONS"], result.groups.map((g) => [g.name, g.members.join(",") || "-", permissionsText(g.permissions)]), "no groups"),
    );
  });

  iam
    .command("grant")
    .description("give a principal or group:<name> an action on a resource id")
    .argument("<holder>", "a user, a service account, or group:<name>")
    .argument("<resource>", "e.g. gantry:apps:/team-a")
    .argument("<action>", "create, read, update, delete or full")
    .action(async (holder: string, resourceId: string, action: string) => {
      await withClient((api) => api.iam.grant({ holder, resourceId, action }));
      done(`granted ${resourceId} ${action} to ${holder}`)();
    });
  iam
    .command("revoke")
    .description("take a grant back (it stops at once, also for tokens already issued)")
    .argument("<holder>")
    .argument("<resource>")
    .argument("<action>")
    .action(async (holder: string, resourceId: string, action: string) => {
      await withClient((api) => api.iam.revoke({ holder, resourceId, action }));
      done(`revoked ${resourceId} ${action} from ${holder}`)();
    });
  iam
    .command("revoke-token")
    .description("make one token unusable (its id, as `gantry auth whoami --json` shows it)")
    .argument("<tokenId>")
    .action(async (tokenId: string) => {
      await withClient((api) => api.iam.revokeToken({ tokenId }));
      done(`token ${tokenId} revoked`)();
    });
  return iam;
}
