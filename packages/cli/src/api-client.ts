import { agentV1Service, logsV1, metricsV1, registryV1, registryV1Iam, registryV1Secrets, schedulerV1 } from "@gantry/proto";
import { credentials as grpcCredentials } from "@grpc/grpc-js";
import { channelCredentials, createGrpcClient, type GrpcClient } from "@gantry/platform";
import type { ClientConfig } from "./client-config.ts";

/** The public gRPC APIs the CLI uses, all through the gateway's one address. */
export interface ApiClient {
  registry: GrpcClient<typeof registryV1.RegistryService>;
  iam: GrpcClient<typeof registryV1Iam.IamService>;
  secrets: GrpcClient<typeof registryV1Secrets.SecretService>;
  scheduler: GrpcClient<typeof schedulerV1.SchedulerService>;
  /** Exec sessions (the gateway routes each to the task's agent); no deadline: a session lasts as long as it is used. */
  exec: GrpcClient<typeof agentV1Service.AgentService>;
  /** Node, task and app metrics. */
  metrics: GrpcClient<typeof metricsV1.MetricsService>;
  /** Task, node and control-plane logs (query and follow). */
  logs: GrpcClient<typeof logsV1.LogsService>;
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
  const { deadlineMs: _deadline, ...sessions } = options;
  // A wide HTTP/2 window: a session's output comes in messages of up to 64 KiB.
  const exec = createGrpcClient(agentV1Service.AgentService, config.grpcTarget, { ...sessions, channelOptions: { "grpc-node.flow_control_window": 8 << 20 } });
  const metrics = createGrpcClient(metricsV1.MetricsService, config.grpcTarget, options);
  const logs = createGrpcClient(logsV1.LogsService, config.grpcTarget, options);
  return {
    registry,
    iam,
    secrets,
    scheduler,
    exec,
    metrics,
    logs,
    close() {
      registry.close();
      iam.close();
      secrets.close();
      scheduler.close();
      exec.close();
      metrics.close();
      logs.close();
    },
  };
}
