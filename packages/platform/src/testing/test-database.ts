import { randomBytes } from "node:crypto";
import pg from "pg";
import { infrastructureUrls } from "../config/index.ts";

/** A throw-away database for one test file: its URL and name, and `drop()` to remove it. */
export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database `WITH (FORCE)`, ending any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database `t_<prefix>_<random>` through the admin `DATABASE_URL` (default the
 * local Postgres) and returns its URL. Creating a database costs milliseconds, so every test file
 * gets its own. Throws when Postgres is unreachable or the prefix is not `[a-z0-9_]`.
 */
export async function createTestDatabase(prefix = "test", adminUrl = infrastructureUrls().databaseUrl): Promise<TestDatabase> {
  if (!/^[a-z0-9_]{1,30}$/.test(prefix)) throw new Error(`test database prefix "${prefix}" must match [a-z0-9_]{1,30}`);
  const name = `t_${prefix}_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
