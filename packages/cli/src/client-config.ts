import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { GantryError } from "@gantry/platform";

/** Where the CLI talks to and who it is: the gateway address (HTTP and gRPC) and a bearer token. */
export interface ClientConfig {
  url: string;
  /** host:port for gRPC, taken from `url`. */
  grpcTarget: string;
  token: string;
}

/** The folder Gantry keeps local state in (`GANTRY_HOME`, default `~/.gantry`). */
export function gantryHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GANTRY_HOME ?? path.join(homedir(), ".gantry");
}

/** The file `gantry up` writes so that a CLI on the same machine finds the cluster it started. */
export function localClusterFile(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(gantryHome(env), cluster, "cluster.json");
}

/**
 * The cluster a command that joins the cluster's NATS directly (`gantry sim agents`) means when
 * not told: `GANTRY_CLUSTER` when set, else the one cluster `gantry up` left a cluster file for
 * under `gantryHome` (when there is exactly one), else `gantry`. Never fails.
 */
export function localClusterName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GANTRY_CLUSTER) return env.GANTRY_CLUSTER;
  let names: string[] = [];
  try {
    names = readdirSync(gantryHome(env), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(localClusterFile(entry.name, env)))
      .map((entry) => entry.name);
  } catch {
    // No local state: the default below.
  }
  return names.length === 1 ? names[0]! : "gantry";
}

/**
 * Resolves the CLI's target: `GANTRY_URL` and `GANTRY_TOKEN` when set, else the file written by
 * `gantry up` for `GANTRY_CLUSTER` (default `gantry`). Fails with a message that says what to set.
 */
export function resolveClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  let url = env.GANTRY_URL;
  let token = env.GANTRY_TOKEN;
  if (!url || !token) {
    const file = localClusterFile(env.GANTRY_CLUSTER ?? "gantry", env);
    try {
      const local = JSON.parse(readFileSync(file, "utf8")) as { url?: string; token?: string };
      url ??= local.url;
      token ??= local.token;
    } catch {
      // No local cluster: the error below says what to set.
    }
  }
  if (!url) throw new GantryError("FailedPrecondition", "no Gantry address: set GANTRY_URL (e.g. http://127.0.0.1:8080) or run `gantry up`");
  if (!token) throw new GantryError("Unauthenticated", "no token: set GANTRY_TOKEN to the token `gantry up` printed");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GantryError("InvalidArgument", `GANTRY_URL "${url}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  return { url: parsed.origin, grpcTarget: parsed.host, token };
}
