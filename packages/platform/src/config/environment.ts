/** Where the shared infrastructure is, read once at the edge from the environment. */
export interface InfrastructureUrls {
  databaseUrl: string;
  natsUrl: string;
}

/** Reads `DATABASE_URL` and `NATS_URL`, defaulting to the local PostgreSQL and NATS. */
export function infrastructureUrls(env: NodeJS.ProcessEnv = process.env): InfrastructureUrls {
  return {
    databaseUrl: env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    natsUrl: env.NATS_URL ?? "nats://127.0.0.1:4222",
  };
}
