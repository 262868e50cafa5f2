import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { createAuthenticator, createTokenSigner, signingKeyFromEnv, type Authenticator, type TokenSigner } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import { clusterNames, type ClusterNames } from "./cluster-names.ts";
import { infrastructureUrls } from "./environment.ts";
import { tlsFromEnv, type TlsMaterial } from "../tls/tls-material.ts";
import { streamReplicasFromEnv } from "./stream-replicas.ts";

/** What every control-plane service process needs, compiled once at its edge. */
export interface ServiceEnvironment {
  databaseUrl: string;
  natsUrl: string;
  names: ClusterNames;
  host: string;
  port: number;
  authenticator: Authenticator;
  /** Issues tokens with the cluster's key (the registry's logins); absent where only tokens are checked. */
  signer?: TokenSigner;
  /** Mutual TLS with the cluster CA for gRPC and NATS (`GANTRY_TLS_*_FILE`); absent: plaintext. */
  tls?: TlsMaterial;
}

/**
 * Reads a service's standard flags and environment: `--host` (default 127.0.0.1), `--port`
 * (default `defaultPort`), `--cluster` (`GANTRY_CLUSTER`, default `gantry`), `--auth-key-file`
 * or `GANTRY_AUTH_KEY` (the cluster's token signing key, base64; required: a service that
 * cannot check tokens refuses to start), `DATABASE_URL`, `NATS_URL` (one server or several,
 * comma-separated), `GANTRY_NATS_REPLICAS`. Throws InvalidArgument naming the flag that is wrong.
 */
export async function serviceEnvironment(argv: string[], defaultPort: number, env: NodeJS.ProcessEnv = process.env): Promise<ServiceEnvironment> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: String(defaultPort) },
      cluster: { type: "string", default: env.GANTRY_CLUSTER ?? "gantry" },
      "auth-key-file": { type: "string" },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GantryError("InvalidArgument", `--port ${values.port} is not a port number (0-65535)`);
  const keyFile = values["auth-key-file"];
  const key = keyFile ? Buffer.from((await readFile(keyFile, "utf8")).trim(), "base64") : signingKeyFromEnv(env);
  if (!key) throw new GantryError("InvalidArgument", "no signing key: pass --auth-key-file or set GANTRY_AUTH_KEY (base64; the key `gantry up` keeps in ~/.gantry/<cluster>/auth.key)");
  const signer = createTokenSigner(key);
  const tls = tlsFromEnv(env);
  return {
    ...infrastructureUrls(env),
    names: clusterNames(values.cluster, streamReplicasFromEnv(env)),
    host: values.host,
    port,
    authenticator: createAuthenticator(signer),
    signer,
    ...(tls ? { tls } : {}),
  };
}
