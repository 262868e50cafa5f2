import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import type { UserDirectory } from "../app/ports.ts";

/**
 * Users of this machine through the name service (`getent passwd`: /etc/passwd, LDAP, whatever
 * nsswitch says), as Mesos resolves a task's `user`.
 */
export function osUserDirectory(): UserDirectory {
  return {
    current: () => userInfo().username,
    lookup(name) {
      let line: string;
      try {
        line = execFileSync("getent", ["passwd", name], { encoding: "utf8", timeout: 5_000 }).trim();
      } catch {
        return undefined; // exit 2: no such user
      }
      const [user, , uid, gid, , home] = line.split(":");
      if (user !== name || !/^\d+$/.test(uid ?? "") || !/^\d+$/.test(gid ?? "")) return undefined;
      return { name, uid: Number(uid), gid: Number(gid), home: home ?? "/" };
    },
  };
}
