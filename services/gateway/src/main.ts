/**
 * Runs the gateway as its own process:
 *   node services/gateway/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with GANTRY_REGISTRY_ADDRESS and GANTRY_SCHEDULER_ADDRESS (host:port of their gRPC servers)
 * and GANTRY_AUTH_KEY from the environment; with GANTRY_TLS_*_FILE it talks mutual TLS to the
 * backends and NATS and serves HTTPS (GANTRY_PUBLIC_TLS_*_FILE: another certificate for that).
 * Stops on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { GantryError, runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startGateway } from "./start-gateway.ts";

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
    backends: { registry: backend("GANTRY_REGISTRY_ADDRESS"), scheduler: backend("GANTRY_SCHEDULER_ADDRESS") },
    logger,
  });
});
