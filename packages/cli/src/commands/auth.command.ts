import { createPrivateKey } from "node:crypto";
import type { Command } from "commander";
import { SignJWT } from "jose";
import { registryV1Iam } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import { openApiClient } from "../api-client.ts";
import { resolveClientConfig } from "../client-config.ts";
import { printResult, type OutputOptions } from "../output.ts";
import { storeSession } from "../session-store.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { readPassword, readPemFile } from "./secret-input.ts";

const EXAMPLES = `A login is kept per gateway in $GANTRY_HOME/sessions.json (readable by you only) and used
by every command until it expires or you log out; GANTRY_TOKEN, when set, goes first.

Examples:
  gantry auth login --username alice                       # asks for the password
  echo "$PASSWORD" | gantry auth login --username alice --password-stdin
  gantry auth login --service-account ci --private-key ci.pem   # signs a short RS256 JWT with the key
  gantry auth whoami
  gantry auth logout`;

interface LoginOptions extends OutputOptions {
  username?: string;
  passwordStdin?: boolean;
  serviceAccount?: string;
  privateKey?: string;
}

/** The credentials a login sends: a user's password, or a service account's login JWT (valid 5 minutes). */
async function credentials(opts: LoginOptions): Promise<{ uid: string; password?: string; token?: string }> {
  if (opts.serviceAccount) {
    if (!opts.privateKey) throw new GantryError("InvalidArgument", "--service-account needs --private-key FILE (the account's RSA private key, PEM)");
    const key = createPrivateKey(await readPemFile(opts.privateKey, "--private-key"));
    const token = await new SignJWT({ uid: opts.serviceAccount }).setProtectedHeader({ alg: "RS256" }).setExpirationTime("5m").sign(key);
    return { uid: opts.serviceAccount, token };
  }
  if (!opts.username) throw new GantryError("InvalidArgument", "say who logs in: --username NAME, or --service-account NAME --private-key FILE");
  return { uid: opts.username, password: await readPassword(opts, `password for ${opts.username}`) };
}

/** `gantry auth login|logout|whoami`. */
export function authCommand(): Command {
  const auth = commandGroup("auth", "log in and out of a Gantry cluster, and see who you are", EXAMPLES);
  withJson(
    auth
      .command("login")
      .description("log in as a user (password) or a service account (private key); the token is kept for this gateway")
      .option("--username <name>", "a user")
      .option("--password-stdin", "read the password from stdin instead of asking")
      .option("--service-account <name>", "a service account")
      .option("--private-key <file>", "the service account's RSA private key (PEM)"),
  ).action(async (opts: LoginOptions) => {
    const config = resolveClientConfig(process.env, undefined, { requireToken: false });
    const api = openApiClient({ ...config, token: "" });
    try {
      const login = await api.iam.login(await credentials(opts));
      const uid = opts.serviceAccount ?? opts.username!;
      storeSession(config.url, { principal: uid, token: login.token, tokenId: login.tokenId, expiresAt: login.expiresAt });
      printResult(opts, registryV1Iam.LoginResponseSchema, { ...login, token: "" }, () => `logged in to ${config.url} as ${uid} (token ${login.tokenId}, until ${login.expiresAt})`);
    } finally {
      api.close();
    }
  });

  auth
    .command("logout")
    .description("revoke this gateway's login token and forget it")
    .action(async () => {
      const config = resolveClientConfig();
      await withClient((api) => api.iam.logout({}));
      storeSession(config.url, undefined);
      process.stdout.write(`logged out of ${config.url}\n`);
    });

  withJson(auth.command("whoami").description("who the CLI acts as, its groups and everything it may do")).action(async (opts: OutputOptions) => {
    const me = await withClient((api) => api.iam.whoAmI({}));
    printResult(opts, registryV1Iam.WhoAmIResponseSchema, me, () =>
      [
        `${me.principal}${me.roles.length ? ` (roles: ${me.roles.join(", ")})` : ""}${me.groups.length ? `, member of ${me.groups.join(", ")}` : ""}`,
        ...(me.permissions.length ? me.permissions.map((p) => `  ${p.resourceId} ${p.action}`) : ["  no permissions"]),
      ].join("\n"),
    );
  });
  return auth;
}
