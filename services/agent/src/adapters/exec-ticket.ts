import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { onPath, RESOURCES, type Authenticator, type Principal } from "@gantry/platform/auth";

/** The issuer every exec ticket names: the gateway. */
export const EXEC_TICKET_ISSUER = "gantry-gateway";

/**
 * What an exec ticket grants: ONE session (`sessionId`, the JWT id) of `principal` running
 * `command` in `taskId` (of app `appId`) on the agent the ticket's audience names, until
 * `expiresAt` (ms). The gateway signs it (Ed25519, a compact JWS/JWT) after it authorised the
 * caller; the agent only verifies it, with the public key, so an agent never holds a key that
 * could mint cluster tokens or tickets.
 */
export interface ExecTicket {
  sessionId: string;
  principal: string;
  taskId: string;
  appId: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  expiresAt: number;
}

/** Reads an Ed25519 public key (PEM, SPKI); throws naming `source` when it is not one. */
export function execTicketPublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${source}: not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${source}: an exec ticket key must be Ed25519, got ${key.asymmetricKeyType}`);
  return key;
}

const JWT_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

function json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a ticket synchronously (the gRPC pipeline authenticates synchronously): a compact JWT
 * whose header says `alg: EdDSA` (nothing else is accepted: no `none`, no HMAC confusion), whose
 * Ed25519 signature `key` verifies, issued by the gateway for audience `agentId`, not expired
 * (exp, seconds) and with every claim well-typed. Undefined otherwise; never throws.
 */
export function verifyExecTicket(token: string, key: KeyObject, agentId: string, nowMs: number): ExecTicket | undefined {
  const m = JWT_SHAPE.exec(token);
  if (!m) return undefined;
  const [, h = "", p = "", s = ""] = m;
  const header = json(h);
  if (header?.alg !== "EdDSA" || header.crit !== undefined) return undefined;
  let good = false;
  try {
    good = verify(null, Buffer.from(`${h}.${p}`, "ascii"), key, Buffer.from(s, "base64url"));
  } catch {
    return undefined;
  }
  if (!good) return undefined;
  const c = json(p);
  if (!c) return undefined;
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (c.iss !== EXEC_TICKET_ISSUER || !aud.includes(agentId)) return undefined;
  if (typeof c.exp !== "number" || nowMs >= c.exp * 1000) return undefined;
  const strings = [c.jti, c.sub, c.task, c.app];
  if (!strings.every((v) => typeof v === "string" && v !== "")) return undefined;
  if (!Array.isArray(c.cmd) || c.cmd.length === 0 || !c.cmd.every((a) => typeof a === "string")) return undefined;
  return {
    sessionId: c.jti as string,
    principal: c.sub as string,
    taskId: c.task as string,
    appId: c.app as string,
    command: c.cmd as string[],
    tty: c.tty === true,
    stdin: c.stdin === true,
    expiresAt: c.exp * 1000,
  };
}

/** The authenticator of an agent's endpoint, and where its handler takes the ticket of a call. */
export interface ExecTicketGate extends Authenticator {
  /**
   * The ticket a call authenticated with (its principal's `tokenId` is the session id), taken
   * once: a second call presenting the same ticket is refused (no replay), even before it expires.
   */
  take(sessionId: string): ExecTicket | undefined;
}

/**
 * Authenticates calls by exec ticket only (`authorization: Bearer <ticket>`); cluster tokens are
 * not accepted (the agent cannot check them, by design). A verified ticket's caller is its
 * principal with only `gantry:tasks:exec:<app> create`, and the call's `tokenId` is the session id.
 */
export function execTicketGate(key: KeyObject, agentId: string, now: () => number = Date.now): ExecTicketGate {
  const pending = new Map<string, ExecTicket>();
  /** Session ids already used, with the expiry of their ticket (kept until then). */
  const used = new Map<string, number>();
  const prune = (t: number) => {
    for (const [id, exp] of used) if (exp <= t) used.delete(id);
    for (const [id, ticket] of pending) if (ticket.expiresAt <= t) pending.delete(id);
  };
  return {
    authenticate(headerValue) {
      const bearer = /^bearer\s+(\S+)$/i.exec(headerValue?.trim() ?? "");
      if (!bearer) return undefined;
      const t = now();
      prune(t);
      const ticket = verifyExecTicket(bearer[1]!, key, agentId, t);
      if (!ticket || used.has(ticket.sessionId)) return undefined;
      pending.set(ticket.sessionId, ticket);
      const principal: Principal = { name: ticket.principal, roles: [], grants: [onPath(RESOURCES.tasksExec, "create", ticket.appId)], tokenId: ticket.sessionId };
      return principal;
    },
    take(sessionId) {
      const ticket = pending.get(sessionId);
      if (!ticket || used.has(sessionId)) return undefined;
      pending.delete(sessionId);
      used.set(sessionId, ticket.expiresAt);
      return ticket;
    },
  };
}
