import { existsSync } from "node:fs";
import pg from "pg";
import { schedulerV1 } from "@gantry/proto";
import { channelCredentials, createGrpcClient, gatewayFetch } from "@gantry/platform";
import { clusterCa, existingMaterial } from "./cluster-tls.ts";
import { readClusterFile, type ClusterFile } from "./cluster-file.ts";
import { dataDirLayout, type DataDirLayout } from "./data-dir.ts";
import { clusterDatabase } from "./infrastructure/cluster-database.ts";
import { readInfrastructureRecord, type InfrastructureRecord } from "./infrastructure/infrastructure-record.ts";
import { probeNats } from "./infrastructure/nats-probe.ts";
import { runningLauncherPid } from "./processes/pid-file.ts";

/** One check of `gantry doctor`: what was checked, whether it passed, what was found, and what to do when not. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** Which cluster `gantry doctor` examines. */
export interface DoctorOptions {
  cluster: string;
  dataDir: string;
  clusterFile: string;
  /** DATABASE_URL / NATS_URL, for a cluster that never recorded its own. */
  env: NodeJS.ProcessEnv;
}

/** Each check's line: `ok    PostgreSQL  …` or `FAIL  NATS  … → what to do`. */
export function formatDoctorCheck(check: DoctorCheck): string {
  const line = `${check.ok ? "ok  " : "FAIL"}  ${check.name.padEnd(11)} ${check.detail}`;
  return check.ok || !check.fix ? line : `${line}\n${" ".repeat(18)}→ ${check.fix}`;
}

/** The scheduler's leader lease, as its holder last renewed it. */
const SCHEDULER_LEASE_SQL = `
SELECT l.holder, l.epoch::text, extract(epoch FROM now() - r.renewed_at) * 1000 AS age_ms
FROM leases l LEFT JOIN lease_renewals r USING (name) WHERE l.name = 'scheduler'`;
/** A renewal older than this means no scheduler leads (they renew every second or so). */
const STALE_LEASE_MS = 10_000;

/**
 * Checks the parts of a launched cluster, in the order they start: data dir, launcher process,
 * PostgreSQL (reachable, which database, synchronous_commit, whose event log), NATS (reachable,
 * JetStream), gateway (/ping), a leading scheduler (its lease in PostgreSQL), active agents (the
 * scheduler's list, through the gateway). Never throws: every problem is a failed check.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const layout = dataDirLayout(options.dataDir);
  const record = await readInfrastructureRecord(layout.infrastructure);
  const clusterFile = await readClusterFile(options.clusterFile);
  const checks = [
    checkDataDir(layout, options.cluster),
    checkLauncher(layout, options.cluster),
    await checkPostgres(options, record, layout),
    await checkNats(options, record, layout),
    await checkGateway(clusterFile, options),
    await checkScheduler(options, record),
    await checkAgents(clusterFile),
  ];
  return checks;
}

function checkDataDir(layout: DataDirLayout, cluster: string): DoctorCheck {
  if (!existsSync(layout.root)) return { name: "data dir", ok: false, detail: `${layout.root} does not exist`, fix: `start the cluster: gantry up --cluster ${cluster} (or pass --data-dir)` };
  const postgres = existsSync(layout.postgres) ? ", with its own PostgreSQL" : "";
  return { name: "data dir", ok: true, detail: `${layout.root}${postgres}` };
}

function checkLauncher(layout: DataDirLayout, cluster: string): DoctorCheck {
  const pid = runningLauncherPid(layout.pidFile);
  if (pid === undefined) return { name: "launcher", ok: false, detail: "not running", fix: `gantry up --detach --cluster ${cluster}; its log: ${layout.logFile}` };
  return { name: "launcher", ok: true, detail: `running (pid ${pid}), log ${layout.logFile}` };
}

/** The cluster's database: as recorded at its last start, else where DATABASE_URL would put it. */
function databaseOf(options: DoctorOptions, record: InfrastructureRecord | undefined) {
  if (record) return record.database;
  return options.env.DATABASE_URL ? { ...clusterDatabase(options.env.DATABASE_URL, options.cluster), own: false } : undefined;
}

async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkPostgres(options: DoctorOptions, record: InfrastructureRecord | undefined, layout: DataDirLayout): Promise<DoctorCheck> {
  const name = "PostgreSQL";
  const database = databaseOf(options, record);
  if (!database) return { name, ok: false, detail: "unknown: the cluster never started here and DATABASE_URL is not set", fix: `gantry up --cluster ${options.cluster}` };
  const where = `${new URL(database.url).host}, database ${database.name}`;
  try {
    const facts = await withDatabase(database.url, async (client) => {
      const { rows } = await client.query<{ sync: string; owner: string | null }>(
        "SELECT current_setting('synchronous_commit') AS sync, (SELECT name FROM gantry_cluster) AS owner",
      );
      return rows[0]!;
    });
    if (facts.sync !== "on") return { name, ok: false, detail: `${where}: synchronous_commit is ${facts.sync}`, fix: "set synchronous_commit = on: with it off a crash can lose events the cluster acknowledged" };
    if (facts.owner !== options.cluster) return { name, ok: false, detail: `${where} holds the event log of cluster "${facts.owner}"`, fix: "give each cluster its own database" };
    return { name, ok: true, detail: `${where} (event log of "${facts.owner}"), synchronous_commit on` };
  } catch (err) {
    const fix = database.own ? `it runs while the cluster does: gantry up --cluster ${options.cluster}; its log: ${layout.postgresLog}` : "check DATABASE_URL and that the server runs";
    return { name, ok: false, detail: `${where}: ${(err as Error).message}`, fix };
  }
}

async function checkNats(options: DoctorOptions, record: InfrastructureRecord | undefined, layout: DataDirLayout): Promise<DoctorCheck> {
  const name = "NATS";
  const nats = record?.nats ?? (options.env.NATS_URL ? { url: options.env.NATS_URL, own: false } : undefined);
  if (!nats) return { name, ok: false, detail: "unknown: the cluster never started here and NATS_URL is not set", fix: `gantry up --cluster ${options.cluster}` };
  const where = new URL(nats.url).host;
  try {
    const probe = await probeNats(nats.url, await existingMaterial(dataDirLayout(options.dataDir).tls, "launcher"));
    return { name, ok: true, detail: `${where}, server ${probe.version}, JetStream enabled (${probe.streams} streams)` };
  } catch (err) {
    const message = (err as Error).message;
    if (/jetstream/i.test(message)) return { name, ok: false, detail: `${where}: JetStream is not enabled (${message})`, fix: "run nats-server with -js (JetStream)" };
    const fix = nats.own ? `it runs while the cluster does: gantry up --cluster ${options.cluster}; its log: ${layout.natsLog}` : "check NATS_URL and that the server runs";
    return { name, ok: false, detail: `${where}: ${message}`, fix };
  }
}

async function checkGateway(clusterFile: ClusterFile | undefined, options: DoctorOptions): Promise<DoctorCheck> {
  const name = "gateway";
  if (!clusterFile) return { name, ok: false, detail: `no cluster file ${options.clusterFile}: the cluster is not up`, fix: `gantry up --detach --cluster ${options.cluster}` };
  try {
    const response = await gatewayFetch(await clusterCa(clusterFile))(new URL("/ping", clusterFile.url), { signal: AbortSignal.timeout(3_000) });
    const body = (await response.text()).trim();
    if (response.ok && body === "pong") return { name, ok: true, detail: `${clusterFile.url}/ping answers pong` };
    return { name, ok: false, detail: `${clusterFile.url}/ping answered ${response.status} ${body.slice(0, 80)}`, fix: "see the launcher's log" };
  } catch (err) {
    return { name, ok: false, detail: `${clusterFile.url}: ${(err as Error).message}`, fix: "see the launcher's log; restart with gantry down && gantry up --detach" };
  }
}

async function checkScheduler(options: DoctorOptions, record: InfrastructureRecord | undefined): Promise<DoctorCheck> {
  const name = "scheduler";
  const database = databaseOf(options, record);
  if (!database) return { name, ok: false, detail: "not checked: no database known" };
  try {
    const lease = await withDatabase(database.url, async (client) => (await client.query<{ holder: string; epoch: string; age_ms: number | null }>(SCHEDULER_LEASE_SQL)).rows[0]);
    if (!lease) return { name, ok: false, detail: "no scheduler has ever led this cluster", fix: "see the launcher's log" };
    const age = lease.age_ms === null ? Number.POSITIVE_INFINITY : Number(lease.age_ms);
    if (age > STALE_LEASE_MS) return { name, ok: false, detail: `no leader: the lease of ${lease.holder} (epoch ${lease.epoch}) was last renewed ${Math.round(age / 1000)} s ago`, fix: "see the launcher's log" };
    return { name, ok: true, detail: `${lease.holder} leads (epoch ${lease.epoch}, renewed ${(age / 1000).toFixed(1)} s ago)` };
  } catch (err) {
    return { name, ok: false, detail: `not checked: ${(err as Error).message}` };
  }
}

async function checkAgents(clusterFile: ClusterFile | undefined): Promise<DoctorCheck> {
  const name = "agents";
  if (!clusterFile) return { name, ok: false, detail: "not checked: the cluster is not up" };
  const ca = await clusterCa(clusterFile);
  const scheduler = createGrpcClient(schedulerV1.SchedulerService, new URL(clusterFile.url).host, { token: clusterFile.token, deadlineMs: 3_000, credentials: channelCredentials(ca ? { ca } : undefined) });
  try {
    const { agents } = await scheduler.listAgents({});
    const active = agents.filter((a) => a.active).map((a) => a.agentId);
    if (active.length === 0) return { name, ok: false, detail: `none active (${agents.length} known)`, fix: "agents log into the launcher's log; start one with gantry up --agents 1" };
    return { name, ok: true, detail: `${active.length} active: ${active.join(", ")}` };
  } catch (err) {
    return { name, ok: false, detail: `not listed: ${(err as Error).message}`, fix: "see the launcher's log" };
  } finally {
    scheduler.close();
  }
}
