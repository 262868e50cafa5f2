import { readFileSync } from "node:fs";
import { GantryError } from "../errors/index.ts";

/**
 * What one part of the cluster needs for mutual TLS: the cluster CA's certificate (whom to
 * trust) and its own certificate and key (who it is), PEM.
 */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

const VARIABLES = ["GANTRY_TLS_CA_FILE", "GANTRY_TLS_CERT_FILE", "GANTRY_TLS_KEY_FILE"] as const;

/**
 * The material named by `GANTRY_TLS_CA_FILE`, `GANTRY_TLS_CERT_FILE` and `GANTRY_TLS_KEY_FILE`
 * (all three, or none: TLS off); InvalidArgument naming the variable that is missing or unreadable.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsMaterial | undefined {
  const given = VARIABLES.filter((v) => env[v]);
  if (given.length === 0) return undefined;
  const missing = VARIABLES.filter((v) => !env[v]);
  if (missing.length > 0) throw new GantryError("InvalidArgument", `TLS needs ${VARIABLES.join(", ")}: ${missing.join(", ")} not set`);
  const read = (v: (typeof VARIABLES)[number]) => {
    try {
      return readFileSync(env[v]!, "utf8");
    } catch (err) {
      throw new GantryError("InvalidArgument", `${v}=${env[v]}: ${(err as Error).message}`);
    }
  };
  return { ca: read("GANTRY_TLS_CA_FILE"), cert: read("GANTRY_TLS_CERT_FILE"), key: read("GANTRY_TLS_KEY_FILE") };
}

/** nats.js connection options for mutual TLS with the cluster's NATS. */
export function natsTls(tls: TlsMaterial | undefined): { tls: { ca: string; cert: string; key: string } } | Record<string, never> {
  return tls ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {};
}
