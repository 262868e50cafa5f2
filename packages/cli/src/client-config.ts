import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { GantryError } from "@gantry/platform";
import { gantryHome } from "./gantry-home.ts";
import { sessionFor } from "./session-store.ts";

/** Where the CLI talks to and who it is: the gateway address (HTTP and gRPC) and a bearer token. */
export interface ClientConfig {
  url: string;
  /** host:port for gRPC, taken from `url`. */
  grpcTarget: string;
  token: string;
  /** The CA certificate (PEM) the gateway's HTTPS is checked against, when not a public one: the cluster CA of `gantry up --tls` or `GANTRY_CA_FILE`. */
  ca?: string;
}

/** A cluster `gantry up` runs on this machine, as its cluster file says. */
export interface LocalCluster {
  name: string;
  /** The gateway's address; "" when the file does not say. */
  url: string;
  /** The admin token `gantry up` issued; "" when the file does not say. */
  token: string;
  /** The cluster CA's certificate file, when the gateway serves HTTPS with a certificate of it. */
  ca?: string;
}

/** How the CLI finds its cluster, for `gantry --help`. */
export const CLUSTER_HELP = `Which cluster: --cluster NAME before the command (\`gantry --cluster dev app list\`: a cluster
\`gantry up --cluster dev\` runs on this machine), else GANTRY_URL with GANTRY_TOKEN, else
GANTRY_CLUSTER (like --cluster), else the one local cluster (\`gantry cluster list\`; with
several, pass --cluster). Local clusters are found in $GANTRY_HOME/<name>/cluster.json
(GANTRY_HOME defaults to ~/.gantry).`;

export { gantryHome } from "./gantry-home.ts";

/** The file `gantry up` writes so that a CLI on the same machine finds the cluster it started. */
export function localClusterFile(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(gantryHome(env), cluster, "cluster.json");
}

/** Reads one cluster file; undefined when there is none or it is not a JSON object. */
function readLocalCluster(name: string, env: NodeJS.ProcessEnv): LocalCluster | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(localClusterFile(name, env), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { url, token, ca } = parsed as { url?: unknown; token?: unknown; ca?: unknown };
  return { name, url: typeof url === "string" ? url : "", token: typeof token === "string" ? token : "", ...(typeof ca === "string" ? { ca } : {}) };
}

/**
 * Every cluster `gantry up` left a cluster file for under `gantryHome`, by name. A folder without
 * one (an agent's work directory, a cluster that stopped) is none. Never fails.
 */
export function listLocalClusters(env: NodeJS.ProcessEnv = process.env): LocalCluster[] {
  let names: string[];
  try {
    names = readdirSync(gantryHome(env), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  return names
    .sort()
    .map((name) => readLocalCluster(name, env))
    .filter((c) => c !== undefined);
}

/** The global `--cluster` of this run of the CLI, set once its command line is parsed. */
let chosenCluster: string | undefined;

/** Records the global `--cluster NAME` (undefined when not given); the resolvers below prefer it. */
export function chooseCluster(name: string | undefined): void {
  chosenCluster = name;
}

/**
 * The cluster a command that joins the cluster's NATS directly (`gantry sim agents`) means when
 * not told: the global --cluster, else `GANTRY_CLUSTER`, else the one local cluster (when there
 * is exactly one), else `gantry`. Never fails.
 */
export function localClusterName(env: NodeJS.ProcessEnv = process.env, cluster: string | undefined = chosenCluster): string {
  const named = cluster ?? env.GANTRY_CLUSTER;
  if (named) return named;
  const local = listLocalClusters(env);
  return local.length === 1 ? local[0]!.name : "gantry";
}

/** The local cluster named NAME (by --cluster or GANTRY_CLUSTER); fails naming the ones there are. */
function namedLocalCluster(name: string, how: string, env: NodeJS.ProcessEnv): LocalCluster {
  const found = readLocalCluster(name, env);
  if (found) return found;
  const local = listLocalClusters(env).map((c) => c.name);
  const known = local.length > 0 ? `local clusters: ${local.join(", ")}` : "no cluster runs here";
  throw new GantryError("FailedPrecondition", `no local cluster "${name}" (${how}): ${localClusterFile(name, env)} does not exist; ${known}. Start it with \`gantry up --cluster ${name}\`, or set GANTRY_URL and GANTRY_TOKEN`);
}

/** The one local cluster when no cluster is named; fails when there is none or several. */
function onlyLocalCluster(env: NodeJS.ProcessEnv): LocalCluster {
  const local = listLocalClusters(env);
  if (local.length === 1) return local[0]!;
  if (local.length === 0) {
    throw new GantryError("FailedPrecondition", "no Gantry cluster: run `gantry up`, or set GANTRY_URL (e.g. http://127.0.0.1:8080) and GANTRY_TOKEN");
  }
  throw new GantryError(
    "FailedPrecondition",
    `${local.length} local clusters run here (${local.map((c) => c.name).join(", ")}): say which with --cluster NAME or GANTRY_CLUSTER (see \`gantry cluster list\`)`,
  );
}

/**
 * Resolves the CLI's target (see CLUSTER_HELP): the local cluster `cluster` (the global
 * --cluster), else `GANTRY_URL` with `GANTRY_TOKEN` (or, without it, the token of the local
 * cluster at that address), else the local cluster `GANTRY_CLUSTER`, else the only local
 * cluster. A local cluster's address goes with its own token; a session `gantry auth login` kept
 * for that address goes before it (GANTRY_TOKEN before both). Fails with a message that says
 * what to set or pass (without a token only when `requireToken` is false: logging in).
 */
export function resolveClientConfig(env: NodeJS.ProcessEnv = process.env, cluster: string | undefined = chosenCluster, options: { requireToken?: boolean } = {}): ClientConfig {
  let url: string;
  let token: string;
  let source: string;
  let caFile = env.GANTRY_CA_FILE;
  if (cluster === undefined && env.GANTRY_URL) {
    url = env.GANTRY_URL;
    source = "GANTRY_URL";
    const origin = originOf(url);
    token = env.GANTRY_TOKEN || (listLocalClusters(env).find((c) => c.url && originOf(c.url) === origin)?.token ?? "");
  } else {
    const local = cluster !== undefined ? namedLocalCluster(cluster, "--cluster", env) : env.GANTRY_CLUSTER ? namedLocalCluster(env.GANTRY_CLUSTER, "GANTRY_CLUSTER", env) : onlyLocalCluster(env);
    if (!local.url) throw new GantryError("FailedPrecondition", `${localClusterFile(local.name, env)} gives no url; restart \`gantry up --cluster ${local.name}\``);
    url = local.url;
    token = local.token;
    caFile ??= local.ca;
    source = `the url in ${localClusterFile(local.name, env)}`;
  }
  const parsed = parseUrl(url, source);
  // A login (`gantry auth login`) stands for its user at that gateway, unless GANTRY_TOKEN says otherwise.
  if (!env.GANTRY_TOKEN) token = sessionFor(parsed.origin, env)?.token ?? token;
  if (!token && options.requireToken !== false) throw new GantryError("Unauthenticated", "no token: run `gantry auth login`, or set GANTRY_TOKEN (e.g. to the token `gantry up` printed)");
  return { url: parsed.origin, grpcTarget: parsed.host, token, ...(caFile ? { ca: readCa(caFile) } : {}) };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new GantryError("InvalidArgument", `the CA certificate ${file} (GANTRY_CA_FILE or the cluster file's "ca"): ${(err as Error).message}`);
  }
}

function parseUrl(url: string, source: string): URL {
  if (!URL.canParse(url)) throw new GantryError("InvalidArgument", `${source} "${url}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
  return new URL(url);
}

/** The URL's origin, or the text itself when it is not a URL (compared, never used). */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}
