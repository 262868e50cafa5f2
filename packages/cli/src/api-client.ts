import { registryV1, registryV1Iam, registryV1Secrets, schedulerV1 } from "@gantry/proto";
import { credentials as grpcCredentials } from "@grpc/grpc-js";
import { channelCredentials, createGrpcClient, type GrpcClient } from "@gantry/platform";
import type { ClientConfig } from "./client-config.ts";

/** The public gRPC APIs the CLI uses, all through the gateway's one address. */
export interface ApiClient {
  registry: GrpcClient<typeof registryV1.RegistryService>;
  iam: GrpcClient<typeof registryV1Iam.IamService>;
  secrets: GrpcClient<typeof registryV1Secrets.SecretService>;
  scheduler: GrpcClient<typeof schedulerV1.SchedulerService>;
  close(): void;
}

/** Opens clients of the gateway's gRPC pass-through with the configured token. */
export function openApiClient(config: ClientConfig): ApiClient {
  // HTTPS gateways are checked against the cluster CA when one is given, else the system's CAs.
  const tls = config.url.startsWith("https:") ? (config.ca ? channelCredentials({ ca: config.ca }) : grpcCredentials.createSsl()) : undefined;
  const options = { token: config.token, deadlineMs: 30_000, ...(tls ? { credentials: tls } : {}) };
  const registry = createGrpcClient(registryV1.RegistryService, config.grpcTarget, options);
  const { token: _token, ...anonymous } = options;
  const iam = createGrpcClient(registryV1Iam.IamService, config.grpcTarget, config.token ? options : anonymous);
  const secrets = createGrpcClient(registryV1Secrets.SecretService, config.grpcTarget, options);
  const scheduler = createGrpcClient(schedulerV1.SchedulerService, config.grpcTarget, options);
  return {
    registry,
    iam,
    secrets,
    scheduler,
    close() {
      registry.close();
      iam.close();
      secrets.close();
      scheduler.close();
    },
  };
}
