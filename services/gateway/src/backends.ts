import { logsV1, metricsV1, registryV1, registryV1Iam, registryV1Secrets, schedulerV1 } from "@gantry/proto";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { createGrpcClient, type GrpcClient } from "@gantry/platform";

/** Where the gateway finds the services it fronts. */
export interface BackendAddresses {
  registry: string;
  scheduler: string;
  /** The metrics service; without it the metrics routes answer 503. */
  metrics?: string;
  /** The logs service; without it the logs routes answer 503. */
  logs?: string;
}

/** gRPC clients of the services behind the gateway; each call forwards the caller's credentials. */
export interface Backends {
  registry: GrpcClient<typeof registryV1.RegistryService>;
  /** The registry's IamService (logins, principals, grants). */
  iam: GrpcClient<typeof registryV1Iam.IamService>;
  scheduler: GrpcClient<typeof schedulerV1.SchedulerService>;
  /** The metrics service; undefined when the gateway was given no address for it. */
  metrics?: GrpcClient<typeof metricsV1.MetricsService>;
  /** The logs service; undefined when the gateway was given no address for it. */
  logs?: GrpcClient<typeof logsV1.LogsService>;
  /** The backend address of a service by its protobuf type name (for the gRPC pass-through). */
  addressOf(serviceTypeName: string): string;
  close(): void;
}

/** Opens one channel per backend; credentials travel per call (see `callerMetadata`). */
export function connectBackends(addresses: BackendAddresses, credentials?: ChannelCredentials): Backends {
  const options = { deadlineMs: 30_000, ...(credentials ? { credentials } : {}) };
  const registry = createGrpcClient(registryV1.RegistryService, addresses.registry, options);
  const iam = createGrpcClient(registryV1Iam.IamService, addresses.registry, options);
  const scheduler = createGrpcClient(schedulerV1.SchedulerService, addresses.scheduler, options);
  const metrics = addresses.metrics ? createGrpcClient(metricsV1.MetricsService, addresses.metrics, options) : undefined;
  const logs = addresses.logs ? createGrpcClient(logsV1.LogsService, addresses.logs, options) : undefined;
  const byService: Record<string, string> = {
    [registryV1.RegistryService.typeName]: addresses.registry,
    [registryV1Iam.IamService.typeName]: addresses.registry,
    [registryV1Secrets.SecretService.typeName]: addresses.registry,
    [schedulerV1.SchedulerService.typeName]: addresses.scheduler,
    ...(addresses.metrics ? { [metricsV1.MetricsService.typeName]: addresses.metrics } : {}),
    ...(addresses.logs ? { [logsV1.LogsService.typeName]: addresses.logs } : {}),
  };
  return {
    registry,
    iam,
    scheduler,
    ...(metrics ? { metrics } : {}),
    ...(logs ? { logs } : {}),
    addressOf(typeName) {
      const address = byService[typeName];
      if (!address) throw new Error(`no backend serves ${typeName}`);
      return address;
    },
    close() {
      registry.close();
      iam.close();
      scheduler.close();
      metrics?.close();
      logs?.close();
    },
  };
}

/** The services the gateway passes gRPC calls through to. */
export const PROXIED_SERVICES = [registryV1.RegistryService, registryV1Iam.IamService, registryV1Secrets.SecretService, schedulerV1.SchedulerService, metricsV1.MetricsService, logsV1.LogsService];
