import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** What one probe found: healthy or not, and a line saying why (what `docker inspect` shows). */
export interface ProbeResult {
  healthy: boolean;
  detail: string;
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const SERVING = 1;

/** The `status` field (1, an enum) of an encoded `grpc.health.v1.HealthCheckResponse`; 0 (UNKNOWN) when absent. */
function servingStatus(response: Uint8Array): number {
  const reader = new BinaryReader(response);
  let status = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) status = reader.int32();
    else reader.skip(wireType);
  }
  return status;
}

/**
 * Asks a gRPC server's standard health service (`grpc.health.v1.Health/Check`, server-wide: the
 * empty service name) at `address` (host:port); healthy when it answers SERVING within
 * `timeoutMs`. Every Gantry gRPC server serves it without credentials; it turns NOT_SERVING
 * while the server drains at shutdown.
 */
export function probeGrpcHealth(address: string, timeoutMs: number): Promise<ProbeResult> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise<ProbeResult>((resolve) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      () => Buffer.alloc(0), // HealthCheckRequest{service: ""}: every field at its default encodes to nothing
      (bytes: Buffer) => bytes,
      Buffer.alloc(0),
      { deadline: Date.now() + timeoutMs },
      (err: ServiceError | null, response?: Buffer) => {
        if (err) return resolve({ healthy: false, detail: `gRPC health of ${address}: ${err.message}` });
        const status = servingStatus(response ?? Buffer.alloc(0));
        resolve({ healthy: status === SERVING, detail: `gRPC health of ${address}: ${status === SERVING ? "SERVING" : `status ${status}, not SERVING`}` });
      },
    );
  }).finally(() => client.close());
}

/** GETs `url`; healthy when it answers 2xx within `timeoutMs` (the gateway's `/ping` answers `pong`). */
export async function probeHttp(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { healthy: response.ok, detail: `GET ${url}: HTTP ${response.status}` };
  } catch (err) {
    return { healthy: false, detail: `GET ${url}: ${(err as Error).message}` };
  }
}

/**
 * Asks a NATS server's monitoring endpoint (`monitorUrl`, its `-m` port) whether a client named
 * `connectionName` is connected; healthy when one is. This is how a process that serves nothing
 * but speaks only NATS (the agent, connected as `<cluster>/agent/<agentId>`) is seen as up: its
 * connection is its link to the scheduler.
 */
export async function probeNatsClient(monitorUrl: string, connectionName: string, timeoutMs: number): Promise<ProbeResult> {
  const url = new URL("/connz", monitorUrl);
  // Large enough to list every connection of a cluster's server in one page.
  url.searchParams.set("limit", "100000");
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { healthy: false, detail: `GET ${url}: HTTP ${response.status}` };
    const { connections = [] } = (await response.json()) as { connections?: { name?: string }[] };
    const connected = connections.some((c) => c.name === connectionName);
    return { healthy: connected, detail: `NATS client "${connectionName}" ${connected ? "is connected" : "is not connected"} to ${monitorUrl}` };
  } catch (err) {
    return { healthy: false, detail: `GET ${url}: ${(err as Error).message}` };
  }
}
