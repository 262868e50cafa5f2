import pg from "pg";
import { GantryError } from "@gantry/platform";

/** The databases a server always has; a URL naming one of them names the server, not a database to use. */
const MAINTENANCE_DATABASES = new Set(["", "postgres", "template1"]);

/** Where a cluster's event log lives on a PostgreSQL server. */
export interface ClusterDatabase {
  url: string;
  name: string;
  /** True when the name came from the cluster's (`gantry_<cluster>`), false when the URL named it. */
  derived: boolean;
}

/** The database of cluster `cluster`: `gantry_<cluster>` with `-` as `_` (`gantry_gantry`, `gantry_edge_1`). */
export function clusterDatabaseName(cluster: string): string {
  return `gantry_${cluster.replaceAll("-", "_")}`;
}

/**
 * The cluster's database on the server of `serverUrl`. A URL that names a maintenance database
 * (`…/postgres`, `…/template1`, or none) names the server: each cluster gets its own database
 * there, so two clusters can share a server. A URL that names another database is the operator's
 * choice and is used as it is (two clusters on it are refused when the second one starts).
 */
export function clusterDatabase(serverUrl: string, cluster: string): ClusterDatabase {
  const url = new URL(serverUrl);
  const named = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!MAINTENANCE_DATABASES.has(named)) return { url: serverUrl, name: named, derived: false };
  const name = clusterDatabaseName(cluster);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, derived: true };
}

/** The URL of the same server's maintenance database `postgres` (what CREATE and DROP DATABASE run on). */
export function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

/**
 * Creates `database` on its server when it is missing; resolves true when it created it. Needs
 * the CREATEDB privilege only then. Fails with Unavailable naming the server when it cannot connect.
 */
export async function ensureDatabase(database: ClusterDatabase): Promise<boolean> {
  return withMaintenance(database, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database.name]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database.name)}`);
      return true;
    } catch (err) {
      // Another `gantry up` of the same cluster made it meanwhile.
      if ((err as { code?: string }).code === "42P04") return false;
      throw err;
    }
  });
}

/** Drops `database` (ending its connections); nothing when it is gone already. */
export async function dropDatabase(database: ClusterDatabase): Promise<void> {
  await withMaintenance(database, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database.name)} WITH (FORCE)`));
}

async function withMaintenance<T>(database: ClusterDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(database.url), connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const server = new URL(database.url);
    throw new GantryError("Unavailable", `cannot reach PostgreSQL at ${server.host} (for database ${database.name}): ${(err as Error).message}`, { cause: err });
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
