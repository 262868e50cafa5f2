import { spawnSync } from "node:child_process";
import { GantryError } from "@gantry/platform";
import { findSetpriv, type FileProbe } from "./binaries.ts";
import { NO_POSTGRES_USER, NO_SETPRIV } from "./missing-software.ts";

/** A system user PostgreSQL runs as. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/** Who PostgreSQL's processes run as: this process's user, or (when root) `user` through `prefix`. */
export interface PostgresIdentity {
  /** The user to hand the data dir to; undefined when PostgreSQL runs as this process's user. */
  user: SystemUser | undefined;
  /** Put before initdb's and postgres's command lines (empty when not root). */
  prefix: string[];
}

/**
 * The setpriv command line that runs a program as `user`. With `traverse`, the program also
 * keeps CAP_DAC_READ_SEARCH (ambient), which lets it pass folders on the way to its data dir
 * that the user may not enter (a data dir under /root, or under a `mktemp -d` HOME, both 0700);
 * the data dir itself belongs to the user, so nothing else changes owner or mode.
 */
export function setprivPrefix(setpriv: string, user: SystemUser, traverse: boolean): string[] {
  const caps = traverse ? ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"] : [];
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", ...caps, "--"];
}

/**
 * Decides who runs PostgreSQL for data dir `dataDir`: this process's user unless it is root
 * (PostgreSQL refuses root); then the `postgres` system user, through setpriv, with the traverse
 * capability only when that user cannot reach `dataDir` otherwise. Throws FailedPrecondition,
 * saying what to install or create, when root has no `postgres` user or no setpriv.
 */
export function postgresIdentity(dataDir: string, env: NodeJS.ProcessEnv, probe: FileProbe): PostgresIdentity {
  if (process.getuid?.() !== 0) return { user: undefined, prefix: [] };
  const user = lookupUser("postgres");
  if (!user) throw new GantryError("FailedPrecondition", NO_POSTGRES_USER);
  const setpriv = findSetpriv(env, probe);
  if (!setpriv) throw new GantryError("FailedPrecondition", NO_SETPRIV);
  const [command, ...args] = setprivPrefix(setpriv, user, false);
  const reaches = spawnSync(command!, [...args, "test", "-x", dataDir], { stdio: "ignore" }).status === 0;
  return { user, prefix: setprivPrefix(setpriv, user, !reaches) };
}

function lookupUser(name: string): SystemUser | undefined {
  const id = (flag: string) => {
    const result = spawnSync("id", [flag, name], { encoding: "utf8" });
    return result.status === 0 ? Number(result.stdout.trim()) : Number.NaN;
  };
  const uid = id("-u");
  const gid = id("-g");
  return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
}
