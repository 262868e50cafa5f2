import { spawnSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import type { DataDirLayout } from "../data-dir.ts";
import { startServer } from "../processes/managed-process.ts";
import type { TlsMaterial } from "@gantry/platform";
import type { TlsFiles } from "../cluster-tls.ts";
import { probeNats } from "./nats-probe.ts";

/** A nats-server the launcher runs. */
export interface RunningNats {
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;

/**
 * The nats-server command line: loopback only, JetStream stored in the data dir, a pid file for
 * leftovers; with `tls`, mutual TLS only (a client without a certificate of the cluster CA is refused).
 */
export function natsServerArgs(binary: string, layout: Pick<DataDirLayout, "nats" | "natsPidFile">, port: number, tls?: TlsFiles): string[] {
  const secure = tls ? ["--tls", "--tlscert", tls.cert, "--tlskey", tls.key, "--tlscacert", tls.ca, "--tlsverify"] : [];
  return [binary, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", layout.nats, "-P", layout.natsPidFile, ...secure];
}

/** For progress lines: `nats-server v2.9.10, /usr/sbin/nats-server` (the path alone when it will not say). */
export function natsServerOrigin(binary: string): string {
  const version = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 5_000 }).stdout?.match(/v\d+\.\d+\.\d+\S*/)?.[0];
  return version ? `nats-server ${version}, ${binary}` : binary;
}

/** Starts nats-server on `port` and resolves once JetStream answers; stops it again when it does not. */
export async function startNats(binary: string, layout: Pick<DataDirLayout, "nats" | "natsPidFile" | "natsLog">, port: number, tls?: { server: TlsFiles; client: TlsMaterial }): Promise<RunningNats> {
  await mkdir(layout.nats, { recursive: true, mode: 0o700 });
  const url = `nats://127.0.0.1:${port}`;
  const stop = await startServer({
    name: "nats-server",
    command: natsServerArgs(binary, layout, port, tls?.server),
    logFile: layout.natsLog,
    what: `NATS on 127.0.0.1:${port} (log: ${layout.natsLog})`,
    ready: () => probeNats(url, tls?.client),
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopSignal: "SIGTERM",
    stopGraceMs: STOP_GRACE_MS,
  });
  return { url, stop };
}
