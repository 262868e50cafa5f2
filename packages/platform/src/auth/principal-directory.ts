import type { Permission } from "./permissions.ts";

/** What the directory knows of one principal now. */
export interface DirectoryEntry {
  /** Granted to it and to its groups. */
  grants: readonly Permission[];
  /** Tokens issued before this time (unix seconds) no longer count: its password changed, or it was deleted. */
  notBefore: number;
}

/**
 * The cluster's principals as the authenticator looks them up at every call: what each may do
 * now, and which tokens no longer count. The registry keeps it (from the log); other services
 * follow its copy (see `watchPrincipalDirectory`).
 */
export interface PrincipalDirectory {
  /** Undefined for a principal the directory does not know (a bootstrap token's, e.g. `admin`): its token's own claims decide. */
  lookup(name: string): DirectoryEntry | undefined;
  isRevoked(tokenId: string): boolean;
}
