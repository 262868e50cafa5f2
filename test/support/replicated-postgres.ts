import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import { eventually, startTcpRelay, type TcpRelay } from "@gantry/platform/testing";
import { withPostgresClient } from "./postgres-client.ts";
import { cloneReplica, initPostgresServer, type PostgresServer } from "./postgres-server.ts";
import { freePort } from "./service-process.ts";

/**
 * A PostgreSQL primary with a synchronous streaming replica, behind one address that follows the
 * primary (the production layout of infra/replicated/README.md, on loopback). Services connect to
 * `url()`: a TCP relay standing where HAProxy (or a virtual IP) stands in production. A commit is
 * acknowledged only once the replica has it (`synchronous_standby_names = '*'`), so a fail-over
 * loses no acknowledged commit.
 */
export interface ReplicatedPostgres {
  readonly primary: PostgresServer;
  readonly replica: PostgresServer;
  /** The server taking writes now: the primary, or the replica after `failOver`. */
  current(): PostgresServer;
  /** The address services use: `postgres://postgres@127.0.0.1:<relay port>/<database>`. */
  url(database: string): string;
  /**
   * The primary crashes (`pg_ctl stop -m immediate`), the relay cuts every session it held (as
   * HAProxy's `on-marked-down shutdown-sessions` does), the replica is promoted, and the address
   * moves to it. Resolves once the promoted replica takes writes through the address, with how
   * long clients had no primary.
   */
  failOver(): Promise<{ outageMs: number }>;
  /** The end of both servers' logs. */
  logs(): Promise<string>;
  /** Crashes both servers, closes the relay and removes their directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the pair in a new temp dir (owned by `postgres` when we are root) on free loopback
 * ports: initdb the primary, clone the replica (pg_basebackup -R, its own slot), start it, wait
 * until the primary streams to it, make it synchronous, and create `databases` (through the
 * primary, so the replica has them too). Removes what it made when a step fails.
 */
export async function startReplicatedPostgres(options: { databases?: string[] } = {}): Promise<ReplicatedPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), "gantry-pg-"));
  const servers: PostgresServer[] = [];
  let relay: TcpRelay | undefined;
  const stop = async () => {
    await relay?.close();
    for (const server of servers) await server.crash().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (userInfo().uid === 0) await chown(dir, ...(await postgresIds()));
    const primary = await initPostgresServer("primary", await freePort(), dir);
    servers.push(primary);
    // fsync off: these servers' processes crash in tests, their machine does not.
    await primary.configure(["fsync = off", "max_connections = 200", "wal_level = replica", "max_wal_senders = 5", "hot_standby = on", "synchronous_commit = on"]);
    await primary.start();
    const replica = await cloneReplica(primary, "replica", await freePort(), dir, "replica");
    servers.push(replica);
    await replica.start();
    await withPostgresClient(primary.url("postgres"), async (client) => {
      await eventually("the replica to stream from the primary", async () => (await client.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rowCount === 1, 30_000);
      await client.query("ALTER SYSTEM SET synchronous_standby_names = '*'");
      await client.query("SELECT pg_reload_conf()");
      await eventually("the replica to be synchronous", async () => (await client.query("SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'")).rowCount === 1, 30_000);
      for (const database of options.databases ?? []) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    });
    const front = await startTcpRelay({ listenHost: "127.0.0.1", targetHost: "127.0.0.1", targetPort: primary.port }, (conn) => ({
      fromClient: (chunk) => conn.toUpstream(chunk),
      fromUpstream: (chunk) => conn.toClient(chunk),
    }));
    relay = front;
    let current = primary;
    const url = (database: string) => `postgres://postgres@127.0.0.1:${front.port}/${database}`;
    return {
      primary,
      replica,
      current: () => current,
      url,
      async failOver() {
        const crashedAt = Date.now();
        await primary.crash();
        front.cutAll();
        await replica.promote();
        front.retarget("127.0.0.1", replica.port);
        current = replica;
        const takesWrites = (client: pg.Client) => client.query<{ recovering: boolean }>("SELECT pg_is_in_recovery() AS recovering").then(({ rows }) => !rows[0]!.recovering);
        await eventually("the promoted replica to take writes through the relay", () => withPostgresClient(url("postgres"), takesWrites), 30_000, 50);
        return { outageMs: Date.now() - crashedAt };
      },
      async logs() {
        return `${await primary.log()}\n${await replica.log()}`;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The uid and gid of the `postgres` user (PostgreSQL's files must be its own). */
async function postgresIds(): Promise<[number, number]> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const entry = passwd.split("\n").find((line) => line.startsWith("postgres:"));
  if (!entry) throw new Error("no `postgres` user in /etc/passwd: PostgreSQL cannot run as root, and there is no one else to run it as");
  const [, , uid, gid] = entry.split(":");
  return [Number(uid), Number(gid)];
}
