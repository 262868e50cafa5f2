import { probeGrpcHealth, probeHttp, probeNatsClient, type ProbeResult } from "./probes.ts";

/** One health probe, as a container's health check names it (see USAGE). */
export type ProbeCommand =
  | { kind: "grpc"; address: string }
  | { kind: "http"; url: string }
  | { kind: "nats-client"; monitorUrl: string; connectionName: string };

/** How a compose health check calls the probe. */
export const PROBE_USAGE = `usage: node infra/health/main.ts grpc HOST:PORT              gRPC health service answers SERVING
       node infra/health/main.ts http URL                    GET answers 2xx
       node infra/health/main.ts nats-client MONITOR_URL NAME a NATS client of that name is connected`;

/** How long one probe may take; the compose health checks allow a little more. */
export const PROBE_TIMEOUT_MS = 3_000;

/** Reads a probe's arguments (`grpc 127.0.0.1:7001`, …); throws naming what is wrong, with the usage. */
export function parseProbeCommand(args: readonly string[]): ProbeCommand {
  const [kind, ...rest] = args;
  const expect = (count: number): string[] => {
    if (rest.length !== count) throw new Error(`health probe "${kind}" takes ${count} argument(s), got ${rest.length}\n${PROBE_USAGE}`);
    return rest;
  };
  switch (kind) {
    case "grpc": {
      const [address] = expect(1) as [string];
      if (!/^[^:\s]+:\d+$/.test(address)) throw new Error(`health probe grpc: "${address}" is not HOST:PORT\n${PROBE_USAGE}`);
      return { kind, address };
    }
    case "http": {
      const [url] = expect(1) as [string];
      return { kind, url: new URL(url).href };
    }
    case "nats-client": {
      const [monitorUrl, connectionName] = expect(2) as [string, string];
      return { kind, monitorUrl: new URL(monitorUrl).href, connectionName };
    }
    default:
      throw new Error(`unknown health probe "${kind ?? ""}"\n${PROBE_USAGE}`);
  }
}

/** Runs one probe. */
export function runProbe(command: ProbeCommand, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  switch (command.kind) {
    case "grpc":
      return probeGrpcHealth(command.address, timeoutMs);
    case "http":
      return probeHttp(command.url, timeoutMs);
    case "nats-client":
      return probeNatsClient(command.monitorUrl, command.connectionName, timeoutMs);
  }
}
