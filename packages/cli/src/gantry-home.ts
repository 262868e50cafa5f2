import { homedir } from "node:os";
import path from "node:path";

/** The folder Gantry keeps local state in (`GANTRY_HOME`, default `~/.gantry`): cluster files, login sessions. */
export function gantryHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GANTRY_HOME ?? path.join(homedir(), ".gantry");
}
