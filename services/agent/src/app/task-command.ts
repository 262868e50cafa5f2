import type { TaskUser, UserDirectory } from "./ports.ts";

/** util-linux's nsenter: how a task's process enters its instance's network namespace. */
const NSENTER = "/usr/bin/nsenter";
/** util-linux's setpriv: how a task's process becomes its user (after joining its cgroups and namespace as root). */
const SETPRIV = "/usr/bin/setpriv";

/**
 * How a command runs as a task's own process does: as its user (setpriv, with the user's
 * groups), in its instance's network namespace when it has one (nsenter, as root, first). The
 * task itself and its health command checks both run this way, so the checks see what it sees.
 */
export class TaskCommands {
  private readonly users: UserDirectory;
  private readonly isRoot: boolean;

  constructor(users: UserDirectory, isRoot: boolean) {
    this.users = users;
    this.isRoot = isRoot;
  }

  /**
   * The user a task runs as: undefined for the agent's own (no user given, or the agent's name);
   * throws (the task FAILED, not started) when the user does not exist here, or when the agent
   * is not root and so cannot become another user.
   */
  userOf(name: string): TaskUser | undefined {
    if (name === "" || name === this.users.current()) return undefined;
    if (!this.isRoot) throw new Error(`cannot run as user "${name}": the agent does not run as root`);
    const user = this.users.lookup(name);
    if (user === undefined) throw new Error(`user "${name}" does not exist on this agent`);
    return user;
  }

  /** `argv` as the task's process runs it. */
  wrap(argv: readonly string[], user: TaskUser | undefined, netnsPath: string | undefined): string[] {
    const asUser = user === undefined ? [...argv] : [SETPRIV, `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", ...argv];
    return netnsPath === undefined ? asUser : [NSENTER, `--net=${netnsPath}`, "--", ...asUser];
  }

  /**
   * How a task's health command checks run: as the task's user (resolved once, at the first
   * check; one that no longer resolves runs the check as the agent) in its network namespace
   * (read at each check: a re-attached task's instance is recovered after its checks start).
   */
  wrapperFor(user: string, netnsPath: () => string | undefined): (argv: string[]) => string[] {
    let resolved: { user: TaskUser | undefined } | undefined;
    return (argv) => {
      if (resolved === undefined) {
        try {
          resolved = { user: this.userOf(user) };
        } catch {
          resolved = { user: undefined };
        }
      }
      return this.wrap(argv, resolved.user, netnsPath());
    };
  }
}
