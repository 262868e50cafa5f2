import path from "node:path";

/**
 * Where one launched cluster keeps everything on this machine: one folder (`--data-dir`,
 * default `$GANTRY_HOME/<cluster>`), so that `gantry down --purge` removes all of it and a
 * second `gantry up` on the same folder finds its event log again.
 */
export interface DataDirLayout {
  /** The folder itself. */
  root: string;
  /** PGDATA of the PostgreSQL the launcher runs (absent when DATABASE_URL names a server). */
  postgres: string;
  /** That server's log. */
  postgresLog: string;
  /** The password of its `postgres` superuser (mode 0600; the server listens on loopback only). */
  postgresPassword: string;
  /** JetStream store of the nats-server the launcher runs (absent when NATS_URL names one). */
  nats: string;
  /** That server's log. */
  natsLog: string;
  /** That server's pid (nats-server -P), so a server left over by a killed launcher can be stopped. */
  natsPidFile: string;
  /** Work dir of local agent `i` (1-based): its sandboxes. */
  agentWorkDir(i: number): string;
  /** The cluster's token signing key (kept, so tokens stay valid across restarts). */
  authKey: string;
  /** The cluster's secrets key (base64, mode 0600): seals secrets; the registry and every agent have it. */
  secretsKey: string;
  /** The exec ticket key pair: the private key (PEM, mode 0600, the gateway's) and `<file>.pub` (every agent's). */
  execTicketKey: string;
  /** The cluster CA and each part's certificate, with `--tls` (kept, so they stay valid across restarts). */
  tls: string;
  /** Which PostgreSQL and NATS the cluster used, for `gantry down --purge` and `gantry doctor`. */
  infrastructure: string;
  /** Pid of the running launcher, while it runs. */
  pidFile: string;
  /** Logs of a launcher started with `--detach`. */
  logFile: string;
}

/** The layout of data dir `root` (a pure function of the path). */
export function dataDirLayout(root: string): DataDirLayout {
  const at = (name: string) => path.join(root, name);
  return {
    root,
    postgres: at("postgres"),
    postgresLog: at("postgres.log"),
    postgresPassword: at("postgres.password"),
    nats: at("nats"),
    natsLog: at("nats-server.log"),
    natsPidFile: path.join(root, "nats", "nats-server.pid"),
    agentWorkDir: (i) => path.join(root, "agents", String(i)),
    authKey: at("auth.key"),
    tls: at("tls"),
    secretsKey: at("secrets.key"),
    execTicketKey: at("exec-ticket.key"),
    infrastructure: at("infrastructure.json"),
    pidFile: at("gantry.pid"),
    logFile: at("gantry.log"),
  };
}

/** The default data dir of `cluster`: `<gantryHome>/<cluster>`. */
export function defaultDataDir(gantryHome: string, cluster: string): string {
  return path.join(gantryHome, cluster);
}

/**
 * The file a running cluster leaves for the CLI on this machine: `<gantryHome>/<cluster>/cluster.json`
 * (what the CLI's `resolveClientConfig` reads), whatever the data dir.
 */
export function clusterFilePath(gantryHome: string, cluster: string): string {
  return path.join(gantryHome, cluster, "cluster.json");
}
