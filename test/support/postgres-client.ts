import pg from "pg";

/** Runs `work` on a PostgreSQL connection of its own to `url`, ended afterwards whatever happens. */
export async function withPostgresClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // A server that goes away (a crash under test) must not end this process: the query fails instead.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
