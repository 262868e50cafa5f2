import { execFile } from "node:child_process";
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";

/** Where the system's PostgreSQL 15 programs are (Debian's postgresql-15 package). */
const PG_BIN = process.env.GANTRY_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** How long one pg_ctl, initdb or pg_basebackup run may take before the test fails. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * A PostgreSQL server of its own for a test, in a data directory under a temp dir, listening on
 * 127.0.0.1 at `port` (and a Unix socket in `socketDir`), controlled with pg_ctl. Everything runs
 * as the `postgres` user when the test runs as root (PostgreSQL refuses to run as root).
 */
export interface PostgresServer {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication on loopback). */
  url(database: string): string;
  /** Starts the server and waits until it accepts connections (a replica: until it is consistent). */
  start(): Promise<void>;
  /** Stops it the way a crash would: `pg_ctl stop -m immediate` (no checkpoint, every backend ends at once). Does nothing when it is not running. */
  crash(): Promise<void>;
  /** Ends a replica's recovery (`pg_ctl promote`) and waits until it takes writes. */
  promote(): Promise<void>;
  /** Adds lines to its postgresql.conf (read at the next start). */
  configure(lines: string[]): Promise<void>;
  /** The end of its server log, for a failing test's message. */
  log(): Promise<string>;
}

/** Creates a new primary's data directory with initdb (trust authentication, user `postgres`), not started. */
export async function initPostgresServer(name: string, port: number, parentDir: string): Promise<PostgresServer> {
  const server = postgresServer(name, port, parentDir);
  await runAsPostgres(parentDir, "initdb", ["-D", server.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  return server;
}

/**
 * Creates a streaming replica of `primary` (running) with pg_basebackup: its own replication slot
 * `slot`, WAL streamed during the copy, and `-R` (standby.signal and primary_conninfo), not started.
 */
export async function cloneReplica(primary: PostgresServer, name: string, port: number, parentDir: string, slot: string): Promise<PostgresServer> {
  const server = postgresServer(name, port, parentDir);
  await runAsPostgres(parentDir, "pg_basebackup", ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", server.dataDir, "-X", "stream", "-C", "-S", slot, "-R", "--no-sync"]);
  return server;
}

function postgresServer(name: string, port: number, parentDir: string): PostgresServer {
  const dataDir = path.join(parentDir, name);
  const logFile = path.join(parentDir, `${name}.log`);
  const pgCtl = (args: string[]) => runAsPostgres(parentDir, "pg_ctl", ["-D", dataDir, ...args]);
  return {
    name,
    port,
    dataDir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await pgCtl(["start", "-w", "-t", "60", "-l", logFile, "-o", `-p ${port} -k ${parentDir} -c listen_addresses=127.0.0.1`]);
    },
    async crash() {
      await pgCtl(["status"]).then(
        () => pgCtl(["stop", "-m", "immediate", "-w", "-t", "30"]),
        () => undefined,
      );
    },
    async promote() {
      await pgCtl(["promote", "-w", "-t", "60"]);
    },
    async configure(lines) {
      await appendFile(path.join(dataDir, "postgresql.conf"), `\n${lines.join("\n")}\n`);
    },
    async log() {
      const text = await readFile(logFile, "utf8").catch(() => "");
      return text.split("\n").slice(-40).map((l) => `[${name}] ${l}`).join("\n");
    },
  };
}

/** Runs one PostgreSQL program from PG_BIN (as `postgres` when we are root) in `cwd`; rejects with its output when it fails or times out. */
function runAsPostgres(cwd: string, program: string, args: string[]): Promise<string> {
  const command = path.join(PG_BIN, program);
  const [file, argv] = process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}
