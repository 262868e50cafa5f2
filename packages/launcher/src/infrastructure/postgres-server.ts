import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { GantryError } from "@gantry/platform";
import type { DataDirLayout } from "../data-dir.ts";
import type { PostgresBinaries } from "./binaries.ts";
import { describeExit, spawnManaged, startServer } from "../processes/managed-process.ts";
import type { PostgresIdentity } from "./postgres-identity.ts";

/** A PostgreSQL server in a data dir: which binaries, as whom, on which loopback port. */
export interface PostgresServerOptions {
  binaries: PostgresBinaries;
  identity: PostgresIdentity;
  layout: Pick<DataDirLayout, "postgres" | "postgresLog" | "postgresPassword">;
  port: number;
}

/** A PostgreSQL server the launcher runs. */
export interface RunningPostgres {
  /** The superuser's URL on the maintenance database `postgres`. */
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
/** Fast shutdown (SIGINT) rolls back open transactions and checkpoints; a checkpoint can take a while. */
const STOP_GRACE_MS = 30_000;

/** The postgres command line: loopback TCP only (no unix socket to place), commits durable before they are acknowledged. */
export function postgresServerArgs(binaries: PostgresBinaries, pgdata: string, port: number): string[] {
  return [
    binaries.postgres,
    "-D", pgdata,
    "-p", String(port),
    "-c", "listen_addresses=127.0.0.1",
    "-c", "unix_socket_directories=",
    "-c", "synchronous_commit=on",
    "-c", "fsync=on",
  ];
}

/** The initdb command line: the `postgres` superuser with the password in `passwordFile`, SCRAM for every connection. */
export function initdbArgs(binaries: PostgresBinaries, pgdata: string, passwordFile: string): string[] {
  return [binaries.initdb, "-D", pgdata, "-U", "postgres", `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"];
}

/** Whether `pgdata` holds an initialised cluster (initdb ran to the end). */
export function isInitialised(pgdata: string): boolean {
  return existsSync(path.join(pgdata, "PG_VERSION"));
}

/**
 * Runs initdb into `layout.postgres` (once: the caller checks `isInitialised`), with a new random
 * superuser password kept in `layout.postgresPassword`. Files the server needs belong to its user.
 * A failed initdb leaves no half-made data dir behind, so the next try starts clean.
 */
export async function initialisePostgres(options: Omit<PostgresServerOptions, "port">): Promise<void> {
  const { layout, identity } = options;
  await mkdir(layout.postgres, { recursive: true, mode: 0o700 });
  if (!existsSync(layout.postgresPassword)) await writeFile(layout.postgresPassword, randomBytes(18).toString("base64url") + "\n", { mode: 0o600 });
  if (identity.user) {
    await chown(layout.postgres, identity.user.uid, identity.user.gid);
    await chown(layout.postgresPassword, identity.user.uid, identity.user.gid);
  }
  const initdb = spawnManaged("initdb", [...identity.prefix, ...initdbArgs(options.binaries, layout.postgres, layout.postgresPassword)], { file: layout.postgresLog });
  const status = await initdb.exited;
  if (status.code !== 0) {
    await rm(layout.postgres, { recursive: true, force: true });
    throw new GantryError("Unavailable", `could not initialise PostgreSQL in ${layout.postgres}: ${describeExit(initdb, status)}`);
  }
}

/** Starts the server on `port` and resolves once it accepts the superuser; stops it again when it does not. */
export async function startPostgres(options: PostgresServerOptions): Promise<RunningPostgres> {
  const { layout, identity, port } = options;
  const password = (await readFile(layout.postgresPassword, "utf8")).trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const stop = await startServer({
    name: "PostgreSQL",
    command: [...identity.prefix, ...postgresServerArgs(options.binaries, layout.postgres, port)],
    logFile: layout.postgresLog,
    what: `PostgreSQL on 127.0.0.1:${port} (log: ${layout.postgresLog})`,
    ready: () => acceptsConnections(url),
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopSignal: "SIGINT",
    stopGraceMs: STOP_GRACE_MS,
  });
  return { url, stop };
}

async function acceptsConnections(url: string): Promise<true> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
