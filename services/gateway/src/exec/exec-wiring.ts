import type { KeyObject } from "node:crypto";
import { EventStore, openClusterDatabase, onApps, RESOURCES, type ClusterDatabase, type Logger, type ServiceBinding, type TokenSigner } from "@gantry/platform";
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { Backends } from "../backends.ts";
import { eventLogExecAudit } from "./exec-audit.ts";
import { execRouter, type ExecRouter } from "./exec-router.ts";
import { createExecTicketSigner } from "./exec-ticket-signer.ts";

/** What the gateway needs to route exec sessions; without all of it the gateway serves no exec. */
export interface ExecSettings {
  /** The gateway's Ed25519 exec ticket private key (agents hold the public key). */
  ticketKey: KeyObject;
  /** Issues the gateway's own look-up token (`svc:gateway`: apps and nodes, read). */
  signer: Pick<TokenSigner, "issue">;
  /** The cluster database, where sessions and refusals are recorded. */
  databaseUrl: string;
  cluster: string;
}

/** The principal of the gateway's own look-ups. */
export const GATEWAY_PRINCIPAL = "svc:gateway";
const LOOKUP_TOKEN_TTL_SECONDS = 3600;

/** Exec routing started: the binding to serve, the router (for the WebSocket), and how to stop it. */
export interface ExecService {
  binding: ServiceBinding;
  router: ExecRouter;
  close(): Promise<void>;
}

/** Opens the audit log and builds the exec router (see `execRouter`). */
export async function startExecService(settings: ExecSettings, deps: { backends: Backends; logger: Logger; agentCredentials?: ChannelCredentials }): Promise<ExecService> {
  const database: ClusterDatabase = await openClusterDatabase(settings.databaseUrl, settings.cluster, { max: 4, applicationName: "gantry-gateway" });
  const store = new EventStore({ pool: database.pool, logger: deps.logger });
  let token: { value: string; renewAt: number } | undefined;
  const lookupToken = () => {
    if (!token || Date.now() >= token.renewAt) {
      const issued = settings.signer.issue({ name: GATEWAY_PRINCIPAL, roles: [], grants: [onApps("read"), { resource: RESOURCES.nodes, action: "read" }] }, { ttlSeconds: LOOKUP_TOKEN_TTL_SECONDS });
      token = { value: issued.token, renewAt: Date.now() + (LOOKUP_TOKEN_TTL_SECONDS / 2) * 1000 };
    }
    return token.value;
  };
  const router = execRouter({
    scheduler: deps.backends.scheduler,
    lookupToken,
    signer: createExecTicketSigner(settings.ticketKey),
    audit: eventLogExecAudit(store, deps.logger),
    ...(deps.agentCredentials ? { agentCredentials: deps.agentCredentials } : {}),
  });
  return {
    binding: router.binding,
    router,
    async close() {
      router.close();
      await store.close();
      await database.close();
    },
  };
}
