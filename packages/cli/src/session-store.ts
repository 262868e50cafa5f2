import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gantryHome } from "./gantry-home.ts";

/** A login's token for one gateway, as `gantry auth login` keeps it. */
export interface Session {
  principal: string;
  token: string;
  tokenId: string;
  expiresAt: string;
}

/** `$GANTRY_HOME/sessions.json`: one session per gateway origin (`http://host:port`), readable by its owner only. */
export function sessionsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(gantryHome(env), "sessions.json");
}

function readAll(env: NodeJS.ProcessEnv): Record<string, Session> {
  try {
    const parsed = JSON.parse(readFileSync(sessionsFile(env), "utf8")) as unknown;
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, Session>) : {};
  } catch {
    return {};
  }
}

/** The session for `origin`, unless none was kept or it has expired. */
export function sessionFor(origin: string, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Session | undefined {
  const s = readAll(env)[origin];
  return s && typeof s.token === "string" && Date.parse(s.expiresAt) > now ? s : undefined;
}

/** Keeps `session` for `origin` (undefined forgets it). */
export function storeSession(origin: string, session: Session | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const all = readAll(env);
  if (session) all[origin] = session;
  else delete all[origin];
  mkdirSync(gantryHome(env), { recursive: true, mode: 0o700 });
  writeFileSync(sessionsFile(env), JSON.stringify(all, null, 2) + "\n", { mode: 0o600 });
}
