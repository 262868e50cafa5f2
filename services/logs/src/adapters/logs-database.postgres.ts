import pg from "pg";
import { openDatabase, type Database } from "@gantry/platform";
import { migrateLogsDatabase } from "./logs-schema.postgres.ts";

/**
 * Opens the logs database at `url`, creating it first when it does not exist (through the
 * server's `postgres` database; two services creating it at once is fine), and migrates it.
 * Its own database keeps the write-heavy line tables (and their vacuum and WAL) apart from the
 * event log's tables, and lets an operator move it to another server with one URL.
 */
export async function openLogsDatabase(url: string, options: { max?: number } = {}): Promise<Database> {
  await createIfMissing(url);
  const database = openDatabase(url, { max: options.max ?? 8, applicationName: "gantry-logs" });
  try {
    await migrateLogsDatabase(database.db);
    return database;
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

async function createIfMissing(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== "3D000") throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  await withMaintenance(url, async (client, name) => {
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== "42P04") throw err;
    }
  });
}

/** Drops a logs database (tests and teardown; never at run time). */
export async function dropLogsDatabase(url: string): Promise<void> {
  await withMaintenance(url, (client, name) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
}

/** Runs `work` on the same server's maintenance database `postgres`, with the name of the database `url` names. */
async function withMaintenance<T>(url: string, work: (client: pg.Client, name: string) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client, name);
  } finally {
    await client.end().catch(() => undefined);
  }
}
