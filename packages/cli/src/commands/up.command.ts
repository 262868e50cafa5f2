import { Command, InvalidArgumentError } from "commander";
import { gantryHome } from "../client-config.ts";
import { listenForInterruption } from "../interruption.ts";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

interface UpFlags {
  host: string;
  port: number;
  cluster: string;
  dataDir?: string;
  agents: string;
  agentCpus?: string;
  agentMem?: string;
  agentAttributes?: string;
  isolation: string;
  logFormat: string;
  detach?: boolean;
}

/**
 * `gantry up`: runs a cluster on this machine (the launcher, @gantry/launcher), in the foreground
 * until Ctrl-C or SIGTERM, or with `--detach` in the background until `gantry down`.
 */
export function upCommand(): Command {
  return new Command("up")
    .description("run a cluster on this machine: its own PostgreSQL and NATS (unless DATABASE_URL / NATS_URL are set), the control plane and local agents")
    .option("--host <address>", "interface the gateway listens on", "127.0.0.1")
    .option("--port <port>", "gateway port (HTTP and gRPC); 0 picks a free one", port, 8080)
    .option("--cluster <name>", "cluster name (its database gantry_<name>, its NATS subjects and streams)", process.env.GANTRY_CLUSTER ?? "gantry")
    .option("--data-dir <dir>", "where the cluster keeps PostgreSQL, NATS, agents' sandboxes and logs (default $GANTRY_HOME/<cluster>, ~/.gantry/<cluster>)")
    .option("--agents <n>", "agent processes to run (attributes agent:1 … agent:N)", "1")
    .option("--agent-cpus <n>", "cpus each agent offers (default: the machine's)")
    .option("--agent-mem <mb>", "memory each agent offers, in MB (default: the machine's, less a reserve)")
    .option("--agent-attributes <attrs>", "attributes every agent gets besides agent:<i>, e.g. rack:r1;zone:a")
    .option("--isolation <mode>", "task isolation: auto, cgroups or none", "auto")
    .option("--log-format <format>", "logs on stderr: pretty (readable lines) or json (pino's)", "pretty")
    .option("--tls", "mutual TLS between every part (a cluster CA and certificates in <data-dir>/tls; NATS refuses plaintext) and HTTPS at the gateway")
    .option("--detach", "start in the background (log: <data-dir>/gantry.log) and return once the gateway answers; stop with `gantry down`")
    .action(async (flags: UpFlags) => {
      // Loaded only here: every other command stays quick to start and independent of the services' code.
      const launcher = await import("@gantry/launcher");
      const options = launcher.compileLaunchOptions({ ...flags, gantryHome: gantryHome() }, process.env, { out: process.stdout, logs: process.stderr });
      const summary = { cluster: options.cluster, dataDir: options.dataDir, agents: options.agents };
      if (flags.detach) {
        const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1).filter((arg) => arg !== "--detach")];
        const started = await launcher.startDetached({ command, dataDir: options.dataDir, clusterFile: launcher.clusterFilePath(options.gantryHome, options.cluster), env: process.env });
        process.stdout.write(`started in the background (pid ${started.pid}); log: ${launcher.dataDirLayout(options.dataDir).logFile}\n`);
        process.stdout.write(launcher.formatUpSummary({ ...summary, url: started.url, token: started.token, detached: true }));
        return;
      }
      const interruption = listenForInterruption({ stopping: "stopping Gantry…", forced: "stopping again: exiting now, tasks may be left running" });
      const cluster = await launcher.launchCluster(options);
      if (!interruption.interrupted) process.stdout.write(launcher.formatUpSummary({ ...summary, url: cluster.url, token: cluster.token, detached: false }));
      await interruption.requested;
      await cluster.stop();
      interruption.dispose();
      process.stdout.write("Gantry stopped.\n");
    });
}
