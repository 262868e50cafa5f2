import type { KeyObject } from "node:crypto";
import { SignJWT } from "jose";

/** How long a ticket is good for: enough to open the session, not to keep a stolen one. */
export const EXEC_TICKET_TTL_SECONDS = 60;
/** The issuer the agents check (services/agent/src/adapters/exec-ticket.ts). */
const ISSUER = "gantry-gateway";

/** What one exec ticket grants (see the agent's `ExecTicket`). */
export interface ExecTicketGrant {
  sessionId: string;
  principal: string;
  agentId: string;
  taskId: string;
  appId: string;
  command: readonly string[];
  tty: boolean;
  stdin: boolean;
}

/** Signs exec tickets for agents: Ed25519 JWTs, audience = the agent id, 60 s. */
export interface ExecTicketSigner {
  sign(grant: ExecTicketGrant): Promise<string>;
}

/** Creates the signer of exec tickets with the gateway's Ed25519 private key. */
export function createExecTicketSigner(privateKey: KeyObject): ExecTicketSigner {
  return {
    sign: (g) =>
      new SignJWT({ task: g.taskId, app: g.appId, cmd: [...g.command], tty: g.tty, stdin: g.stdin })
        .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
        .setIssuer(ISSUER)
        .setSubject(g.principal)
        .setAudience(g.agentId)
        .setJti(g.sessionId)
        .setIssuedAt()
        .setExpirationTime(`${EXEC_TICKET_TTL_SECONDS}s`)
        .sign(privateKey),
  };
}
