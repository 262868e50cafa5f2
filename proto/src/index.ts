/**
 * The Gantry contract: generated protobuf-es descriptors and message types for every
 * area, and the vendored googleapis `google.rpc` error model. Generated code lives in ./gen and is
 * never edited by hand (`npm run generate`).
 */
export * as agentV1 from "./gen/gantry/agent/v1/protocol_pb.js";
export * as agentV1Service from "./gen/gantry/agent/v1/agent_service_pb.js";
export * as eventsV1App from "./gen/gantry/events/v1/app_events_pb.js";
export * as eventsV1Pod from "./gen/gantry/events/v1/pod_events_pb.js";
export * as eventsV1Group from "./gen/gantry/events/v1/group_events_pb.js";
export * as eventsV1Deployment from "./gen/gantry/events/v1/deployment_events_pb.js";
export * as eventsV1Agent from "./gen/gantry/events/v1/agent_events_pb.js";
export * as eventsV1Instance from "./gen/gantry/events/v1/instance_events_pb.js";
export * as eventsV1Auth from "./gen/gantry/events/v1/auth_events_pb.js";
export * as eventsV1Lease from "./gen/gantry/events/v1/lease_events_pb.js";
export * as eventsV1Exec from "./gen/gantry/events/v1/exec_events_pb.js";
export * as registryV1 from "./gen/gantry/registry/v1/registry_pb.js";
export * as registryV1App from "./gen/gantry/registry/v1/app_pb.js";
export * as registryV1RunSpec from "./gen/gantry/registry/v1/run_spec_pb.js";
export * as registryV1Iam from "./gen/gantry/registry/v1/iam_pb.js";
export * as registryV1Secrets from "./gen/gantry/registry/v1/secrets_pb.js";
export * as schedulerV1 from "./gen/gantry/scheduler/v1/scheduler_pb.js";
export * as schedulerV1Model from "./gen/gantry/scheduler/v1/model_pb.js";
export * as logsV1 from "./gen/gantry/logs/v1/logs_pb.js";
export * as metricsV1 from "./gen/gantry/metrics/v1/metrics_pb.js";
/** `google.rpc.Status`, gRPC's standard rich error (vendored googleapis `google/rpc/status.proto`). */
export * as googleRpc from "./gen/google/rpc/status_pb.js";
/** The standard error details packed into `google.rpc.Status.details` (BadRequest, ErrorInfo, RetryInfo, …). */
export * as googleRpcErrorDetails from "./gen/google/rpc/error_details_pb.js";
export { EVENTS_STREAM, AGENT_STATUS_STREAM, PARKED_STREAM } from "./nats-streams.ts";
export { LOGS_STREAM, logsTaskSubject, logsComponentSubject } from "./nats-streams.ts";
export { METRICS_STREAM } from "./nats-streams.ts";
/** The lines of a QueryLogs / FollowLogs answer, read from its columns; their cursors. */
export { LogLinesReader, readLogLines } from "./log-lines.ts";
export type { LogLinesAnswer } from "./log-lines.ts";
export { logCursor, logCursorPosition } from "./log-cursor.ts";
/** Encoding and decoding of the float64 point columns of metrics range answers. */
export { columnBytes, float64Column } from "./metric-columns.ts";
/** Marathon's app JSON schema, as `GET /v2/schemas/app` serves it (generated from the registry's validator fields: `npm run generate`). */
export { default as marathonAppSchema } from "../schemas/marathon-app.schema.json" with { type: "json" };
