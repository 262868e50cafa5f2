import { attachControlMetrics, channelCredentials, connectBus, createGrpcProxy, followDirectory, ListVersionWatch, type Authenticator, type Bus, type ClusterNames, type FollowedDirectory, type Logger, type TlsMaterial } from "@gantry/platform";
import { connectBackends, PROXIED_SERVICES, type BackendAddresses } from "./backends.ts";
import { openEventFeed } from "./events/event-feed.nats.ts";
import { buildHttpApi } from "./http/http-api.ts";
import { createReads } from "./http/reads.ts";
import { mayWrite } from "./forwarded-writes.ts";
import { listenSharedPort, type PublicTls } from "./shared-port.ts";
import { startComponentLogShipping, type ComponentLogShipping } from "@gantry/logs/shipping";
import { startExecService, type ExecService, type ExecSettings } from "./exec/exec-wiring.ts";

/** Clients that vanish without closing (a laptop's network gone) are noticed: an exec session then ends and its command is killed. */
const CLIENT_KEEPALIVE = { "grpc.keepalive_time_ms": 30_000, "grpc.keepalive_timeout_ms": 10_000 };

/** What the gateway needs to run. */
export interface GatewayOptions {
  host: string;
  /** The public port (HTTP and gRPC); 0 picks a free one. */
  port: number;
  backends: BackendAddresses;
  authenticator: Authenticator;
  logger: Logger;
  /** The cluster's names (its NATS subjects and streams) and the NATS it uses: `/v2/events` follows the relayed log there. */
  names: ClusterNames;
  natsUrl: string;
  /** Mutual TLS towards the backends and NATS (the cluster CA and the gateway's certificate). */
  tls?: TlsMaterial;
  /** Serve HTTPS (and gRPC over TLS) with this certificate; by default the cluster certificate of `tls` when given, else plain HTTP. */
  publicTls?: PublicTls;
  /** Exec routing to the agents (ticket key, look-up signer, audit database); without it no exec is served. */
  exec?: Omit<ExecSettings, "cluster">;
}

/** A running gateway. */
export interface RunningGateway {
  port: number;
  /** `http(s)://host:port`: the one address clients need. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the gateway: an HTTP API (Marathon REST) and a gRPC pass-through to the backends
 * (with reflection), both authenticated and both on one public port.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { logger } = options;
  const backends = connectBackends(options.backends, channelCredentials(options.tls));
  const publicTls = options.publicTls ?? (options.tls ? { cert: options.tls.cert, key: options.tls.key } : undefined);
  let bus: Bus | undefined;
  let directory: FollowedDirectory | undefined;
  let controlMetrics: { stop(): Promise<void> } | undefined;
  let exec: ExecService | undefined;
  try {
    exec = options.exec ? await startExecService({ ...options.exec, cluster: options.names.cluster }, { backends, logger, agentCredentials: channelCredentials(options.tls) }) : undefined;
  } catch (err) {
    backends.close();
    throw err;
  }
  // Lists held for the HTTP reads, used without asking while the backends announce them current;
  // a forwarded call that may write makes them be asked for again, before its caller gets the answer.
  const listVersions = new ListVersionWatch();
  const reads = createReads(backends, listVersions);
  const proxy = createGrpcProxy({ logger, authenticator: options.authenticator, services: PROXIED_SERVICES, own: exec ? [exec.binding] : [], channelOptions: CLIENT_KEEPALIVE, backendFor: (t) => backends.addressOf(t), reflection: true, backendCredentials: channelCredentials(options.tls), onForwarded: (method) => mayWrite(method) && reads.held.invalidate() });
  let http: Awaited<ReturnType<typeof buildHttpApi>> | undefined;
  let shared: Awaited<ReturnType<typeof listenSharedPort>>;
  let ownLogs: ComponentLogShipping | undefined;
  let publicAddress = "";
  try {
    bus = await connectBus(options.natsUrl, options.names, "gateway", options.tls);
    // API latency by route, shipped to the metrics service.
    controlMetrics = attachControlMetrics(bus, "gateway", logger);
    // The gateway's own log lines, shipped to the LOGS stream (bounded, never blocking).
    ownLogs = await startComponentLogShipping({ bus, component: "gateway" });
    // Tokens are looked up in the registry's principal directory (grants, revocations) as it changes.
    directory = await followDirectory(bus.nc, options.names);
    options.authenticator.useDirectory?.(directory, { keepExisting: true });
    listVersions.start(bus.nc, options.names);
    const events = bus;
    http = await buildHttpApi({
      backends,
      authenticator: options.authenticator,
      logger,
      info: { cluster: options.names.cluster, version: "0.1.0", address: () => publicAddress },
      openEventFeed: (after) => openEventFeed(events, after),
      reads,
      ...(exec ? { exec: exec.router } : {}),
    });
    shared = await listenSharedPort(options.host, options.port, http.server, (socket) => proxy.accept(socket), publicTls);
  } catch (err) {
    // A busy port must not leave the proxy or the backend channels keeping the process alive.
    await http?.close().catch(() => undefined);
    await proxy.shutdown(0).catch(() => undefined);
    await exec?.close().catch(() => undefined);
    backends.close();
    directory?.stop();
    listVersions.stop();
    await controlMetrics?.stop();
    await ownLogs?.stop();
    await bus?.close();
    throw err;
  }
  publicAddress = `${options.host}:${shared.port}`;
  const url = `${publicTls ? "https" : "http"}://${publicAddress}`;
  logger.info({ url }, "gateway serving HTTP and gRPC");
  return {
    port: shared.port,
    url,
    async stop() {
      await shared.close();
      await http!.close();
      await proxy.shutdown(1_000);
      await exec?.close();
      backends.close();
      directory?.stop();
      listVersions.stop();
      await controlMetrics?.stop();
      await ownLogs?.stop();
      await bus!.close();
    },
  };
}
