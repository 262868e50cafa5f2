/**
 * Runs the gateway as its own process:
 *   node services/gateway/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with GANTRY_REGISTRY_ADDRESS and GANTRY_SCHEDULER_ADDRESS (host:port of their gRPC servers)
 * (and GANTRY_METRICS_ADDRESS for the metrics routes, GANTRY_LOGS_ADDRESS for the dcos-log routes, optional) and GANTRY_AUTH_KEY from the environment; with GANTRY_TLS_*_FILE it talks mutual TLS to the
 * backends and NATS and serves HTTPS (GANTRY_PUBLIC_TLS_*_FILE: another certificate for that);
 * with GANTRY_EXEC_KEY_FILE (the exec ticket private key) it routes exec sessions to the agents.
 * Stops on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { GantryError, runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startGateway } from "./start-gateway.ts";
import { execTicketPrivateKey } from "./exec/exec-ticket-keys.ts";

/** Exec routing when `GANTRY_EXEC_KEY_FILE` names the cluster's exec ticket private key (Ed25519, PEM); none without it. */
function execFromEnv(env: { databaseUrl: string; signer?: import("@gantry/platform").TokenSigner }) {
  const file = process.env.GANTRY_EXEC_KEY_FILE;
  if (!file || !env.signer) return {};
  return { exec: { ticketKey: execTicketPrivateKey(readFileSync(file, "utf8"), `GANTRY_EXEC_KEY_FILE ${file}`), signer: env.signer, databaseUrl: env.databaseUrl } };
}

/** A public certificate for HTTPS (`GANTRY_PUBLIC_TLS_CERT_FILE` and `…_KEY_FILE`), instead of the cluster one. */
function publicTlsFromEnv(): { publicTls?: { cert: string; key: string } } {
  const certFile = process.env.GANTRY_PUBLIC_TLS_CERT_FILE;
  const keyFile = process.env.GANTRY_PUBLIC_TLS_KEY_FILE;
  if (!certFile && !keyFile) return {};
  if (!certFile || !keyFile) throw new GantryError("InvalidArgument", "HTTPS with a public certificate needs both GANTRY_PUBLIC_TLS_CERT_FILE and GANTRY_PUBLIC_TLS_KEY_FILE");
  return { publicTls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") } };
}

function backend(name: string): string {
  const value = process.env[name];
  if (!value) throw new GantryError("InvalidArgument", `${name} is not set: give the backend's gRPC address as host:port`);
  return value;
}

await runServiceProcess("gateway", async (logger) => {
  const env = await serviceEnvironment(process.argv.slice(2), 8080);
  return startGateway({
    host: env.host,
    port: env.port,
    names: env.names,
    natsUrl: env.natsUrl,
    authenticator: env.authenticator,
    ...(env.tls ? { tls: env.tls } : {}),
    ...publicTlsFromEnv(),
    ...execFromEnv(env),
    backends: { registry: backend("GANTRY_REGISTRY_ADDRESS"), scheduler: backend("GANTRY_SCHEDULER_ADDRESS"), ...(process.env.GANTRY_METRICS_ADDRESS ? { metrics: process.env.GANTRY_METRICS_ADDRESS } : {}), ...(process.env.GANTRY_LOGS_ADDRESS ? { logs: process.env.GANTRY_LOGS_ADDRESS } : {}) },
    logger,
  });
});
